package strategy

import "image/color"

// Pooled starts a goroutine per item, gated by a semaphore of size P (the
// seed's asyncio.Semaphore).
var Pooled = fixedKind(Kind{
	Name:      "pooled",
	Doc:       "a task per item, at most P in flight (a semaphore of P)",
	TakesPool: true,
	Competes:  true,
	Color:     color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
}, poolConc("pooled"))
