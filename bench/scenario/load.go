package scenario

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// MaxFileBytes bounds a scenario or config file; real ones are a few
// kilobytes.
const MaxFileBytes = 1 << 20

// FieldError is a scenario value that is missing, of the wrong type or not
// accepted. File, Line and Column say where when the scenario came from a
// file (Line 0 otherwise); Field is the YAML path, like
// "sweep.pool_sizes[2]" or "client.retry.backoff".
type FieldError struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
		if e.Line > 0 {
			b.WriteString(strconv.Itoa(e.Line))
			b.WriteByte(':')
			if e.Column > 0 {
				b.WriteString(strconv.Itoa(e.Column))
				b.WriteByte(':')
			}
		}
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func fieldErrorf(field, format string, a ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// prefixed returns err with its field path under prefix ("client.retry").
func prefixed(prefix string, err error) error {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	c := *fe
	switch {
	case c.Field == "":
		c.Field = prefix
	case strings.HasPrefix(c.Field, "["):
		c.Field = prefix + c.Field
	default:
		c.Field = prefix + "." + c.Field
	}
	return &c
}

// Load reads a scenario: nameOrPath is a built-in name (a NAME.yaml file at
// the root of builtin, which may be nil) or a path to a YAML file. The file
// is decoded strictly (an unknown field, a wrong type or an impossible value
// is a *FieldError naming file:line and what is accepted), defaults are
// filled in and the result is validated. A file's target paths (targets,
// tls.ca, tls.cert, tls.key) are relative to the file's folder; a
// built-in's to the working directory.
func Load(nameOrPath string, builtin fs.FS) (*Scenario, error) {
	isPath := strings.ContainsAny(nameOrPath, `/\`) || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml")
	if !isPath && builtin != nil {
		data, err := fs.ReadFile(builtin, nameOrPath+".yaml")
		if err == nil {
			return Parse("scenarios/"+nameOrPath+".yaml", data)
		}
	}
	f, err := os.Open(nameOrPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !isPath {
			names, _ := BuiltinNames(builtin)
			return nil, fmt.Errorf("scenario %q is neither a built-in (%s) nor a file", nameOrPath, strings.Join(names, ", "))
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", nameOrPath, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: scenario file larger than %d bytes", nameOrPath, MaxFileBytes)
	}
	sc, err := Parse(nameOrPath, data)
	if err == nil && sc.Target != nil {
		sc.Target.resolvePaths(filepath.Dir(nameOrPath))
	}
	return sc, err
}

// BuiltinNames lists the built-in scenario names (NAME.yaml at the root of
// builtin), sorted.
func BuiltinNames(builtin fs.FS) ([]string, error) {
	if builtin == nil {
		return nil, nil
	}
	files, err := fs.Glob(builtin, "*.yaml")
	if err != nil {
		return nil, err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(path.Base(f), ".yaml")
	}
	slices.Sort(names)
	return names, nil
}

// Parse decodes a scenario from YAML data strictly, fills its defaults and
// validates it; file names the data in errors.
func Parse(file string, data []byte) (*Scenario, error) {
	var sc Scenario
	idx, err := decodeYAML(file, data, &sc)
	if err != nil {
		return nil, err
	}
	sc = sc.WithDefaults()
	if err := sc.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			c := *fe
			c.File = file
			c.Line, c.Column = idx.find(c.Field)
			return nil, &c
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &sc, nil
}
