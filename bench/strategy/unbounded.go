package strategy

import "image/color"

// Unbounded sends every item at once (asyncio.gather, no semaphore). Its
// cells record pool 0, read "unbounded" (∞) everywhere.
var Unbounded = fixedKind(Kind{
	Name:      "unbounded",
	Doc:       "every item at once (no limit)",
	PoolLabel: "∞",
	Color:     color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff},
	cellPool:  func(int) int { return 0 },
}, func(_, items int) (int, error) { return max(items, 1), nil })
