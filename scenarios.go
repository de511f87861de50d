package main

import (
	"embed"
	"io/fs"
)

// scenarioFiles holds the built-in scenarios, scenarios/*.yaml.
//
//go:embed scenarios/*.yaml
var scenarioFiles embed.FS

// builtinScenarios returns the built-in scenarios as NAME.yaml files at the
// root, the shape scenario.Load expects.
func builtinScenarios() fs.FS {
	sub, err := fs.Sub(scenarioFiles, "scenarios")
	if err != nil {
		panic(err) // "scenarios" is a valid path: cannot happen
	}
	return sub
}
