package strategy

import "image/color"

// Workers runs P workers pulling items from a queue (producer/consumer).
var Workers = fixedKind(Kind{
	Name:      "workers",
	Doc:       "P workers pulling items from a queue (producer/consumer)",
	TakesPool: true,
	Competes:  true,
	Reuse:     true,
	Color:     color.RGBA{R: 0xe6, G: 0x7e, B: 0x0e, A: 0xff},
}, poolConc("workers"))
