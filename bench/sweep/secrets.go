package sweep

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// LookupEnv returns an environment variable's value and whether it is set
// (os.LookupEnv, passed in by package main: nothing here reads the
// environment).
type LookupEnv func(name string) (string, bool)

// varRE is a reference to an environment variable: ${NAME}. A lone $
// or $NAME is left as it is (bodies hold JSON, URLs hold $ too).
var varRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// secrets expands ${NAME} in a target's URLs, header values and bodies
// and redacts the values it expanded from any text poolbench writes: the
// values live in the requests sent, nowhere else. Safe for concurrent use.
type secrets struct {
	lookup LookupEnv

	mu     sync.Mutex
	values map[string]string // name → value, of those expanded
	redact *strings.Replacer // nil: none to redact
}

func newSecrets(lookup LookupEnv) *secrets {
	return &secrets{lookup: lookup, values: map[string]string{}}
}

// MissingVarError is a ${NAME} whose variable is not set.
type MissingVarError struct {
	Name  string
	Where string // what named it: "target.url", "targets.txt:12"
}

func (e *MissingVarError) Error() string {
	return fmt.Sprintf("%s: environment variable %s is not set (named as ${%s}; set it, or export it to poolbench's environment)", e.Where, e.Name, e.Name)
}

// expand returns text with every ${NAME} replaced by its value; a
// variable that is not set is a *MissingVarError naming where.
func (s *secrets) expand(where, text string) (string, error) {
	if !strings.Contains(text, "${") {
		return text, nil
	}
	var missing error
	out := varRE.ReplaceAllStringFunc(text, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := "", false
		if s.lookup != nil {
			v, ok = s.lookup(name)
		}
		if !ok {
			if missing == nil {
				missing = &MissingVarError{Name: name, Where: where}
			}
			return ref
		}
		s.remember(name, v)
		return v
	})
	if missing != nil {
		return "", missing
	}
	return out, nil
}

// expandBytes is expand for a body.
func (s *secrets) expandBytes(where string, body []byte) ([]byte, error) {
	if !strings.Contains(string(body), "${") {
		return body, nil
	}
	out, err := s.expand(where, string(body))
	return []byte(out), err
}

func (s *secrets) remember(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == "" || s.values[name] == value {
		return
	}
	s.values[name] = value
	names := make([]string, 0, len(s.values))
	for n := range s.values {
		names = append(names, n)
	}
	// Longest value first, so a value holding another is redacted whole.
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(s.values[b]), len(s.values[a])), cmp.Compare(a, b))
	})
	pairs := make([]string, 0, 2*len(names))
	for _, n := range names {
		pairs = append(pairs, s.values[n], "${"+n+"}")
	}
	s.redact = strings.NewReplacer(pairs...)
}

// redacted returns text with every expanded value replaced by the
// ${NAME} it came from.
func (s *secrets) redacted(text string) string {
	s.mu.Lock()
	r := s.redact
	s.mu.Unlock()
	if r == nil {
		return text
	}
	return r.Replace(text)
}
