package strategy

import "image/color"

// Serial sends one item at a time.
var Serial = fixedKind(Kind{
	Name:     "serial",
	Doc:      "one item at a time",
	Competes: true,
	Color:    color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff},
	cellPool: func(int) int { return 1 },
}, func(int, int) (int, error) { return 1, nil })
