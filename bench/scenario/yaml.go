package scenario

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/token"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// DecodeYAML decodes one YAML document (or JSON, which YAML reads too)
// into v strictly: an unknown field, a value of the wrong type, a duration
// or number that does not parse, or a second document is a *FieldError
// naming file:line:column and what is accepted. It is the one strict
// decoding of every configuration file poolbench reads.
func DecodeYAML(file string, data []byte, v any) error {
	_, err := decodeYAML(file, data, v)
	return err
}

// decodeYAML is DecodeYAML, also returning where each field path is.
func decodeYAML(file string, data []byte, v any) (positions, error) {
	astFile, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(file, err)
	}
	var body ast.Node
	for _, doc := range astFile.Docs {
		if doc.Body == nil {
			continue
		}
		if body != nil {
			return nil, &FieldError{File: file, Line: line(doc.Body.GetToken()), Msg: "more than one YAML document: the file holds one"}
		}
		body = doc.Body
	}
	if body == nil {
		return nil, &FieldError{File: file, Line: 1, Msg: "empty file: want a mapping of settings"}
	}
	idx := positions{}
	if err := checkNode(body, reflect.TypeOf(v).Elem(), "", idx); err != nil {
		err.File = file
		return nil, err
	}
	if err := yaml.UnmarshalWithOptions(data, v, yaml.Strict()); err != nil {
		return nil, yamlError(file, err)
	}
	return idx, nil
}

// yamlError turns a go-yaml error into a *FieldError with its position.
func yamlError(file string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		fe := &FieldError{File: file, Msg: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			fe.Line, fe.Column = tk.Position.Line, tk.Position.Column
		}
		return fe
	}
	return fmt.Errorf("%s: %w", file, err)
}

func line(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

// positions maps YAML paths ("client.retry.base", "sweep.pool_sizes[2]")
// to the token that starts them.
type positions map[string]*token.Token

// find returns the line and column of field, or of its closest ancestor
// present in the file (a missing field points at its parent), or 1:1.
func (p positions) find(field string) (int, int) {
	for f := field; f != ""; f = parentPath(f) {
		if tk, ok := p[f]; ok && tk.Position != nil {
			return tk.Position.Line, tk.Position.Column
		}
	}
	return 1, 1
}

func parentPath(f string) string {
	i := strings.LastIndexAny(f, ".[")
	if i < 0 {
		return ""
	}
	return f[:i]
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// decimalRE is a whole number as people write it: no leading zeros, no
// base prefix, no underscores.
var decimalRE = regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)$`)

// checkNode checks that node fits type t: known keys only, scalars of the
// right kind, and text values (durations) that parse. It records every
// path's position in idx. It reports the first problem found.
func checkNode(node ast.Node, t reflect.Type, at string, idx positions) *FieldError {
	node = unwrap(node)
	if node == nil {
		return nil
	}
	if _, ok := idx[at]; !ok && at != "" {
		idx[at] = node.GetToken()
	}
	if _, ok := node.(*ast.NullNode); ok {
		return nil
	}
	if _, ok := node.(*ast.AliasNode); ok {
		return nil // the decoder resolves aliases; their target was checked
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		s, ok := scalarText(node)
		if !ok {
			return nodeErrorf(node, at, "want a single value, like 816ms, not a %s", nodeKind(node))
		}
		v := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if err := v.UnmarshalText([]byte(s)); err != nil {
			return nodeErrorf(node, at, "%v", err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		pairs, ok := mappingPairs(node)
		if !ok {
			return nodeErrorf(node, at, "want a mapping of %s, not a %s", quoteList(yamlKeys(t)), nodeKind(node))
		}
		for _, kv := range pairs {
			key, _ := scalarText(kv.Key)
			f, ok := fieldByKey(t, key)
			if !ok {
				where := "at the top level"
				if at != "" {
					where = "in " + at
				}
				return nodeErrorf(kv.Key, "", "unknown field %q %s; accepted: %s", key, where, strings.Join(yamlKeys(t), ", "))
			}
			p := joinPath(at, key)
			idx[p] = kv.Key.GetToken()
			if err := checkNode(kv.Value, f.Type, p, idx); err != nil {
				return err
			}
		}
	case reflect.Map:
		pairs, ok := mappingPairs(node)
		if !ok {
			return nodeErrorf(node, at, "want a mapping, not a %s", nodeKind(node))
		}
		for _, kv := range pairs {
			key, _ := scalarText(kv.Key)
			p := joinPath(at, key)
			idx[p] = kv.Key.GetToken()
			if err := checkNode(kv.Value, t.Elem(), p, idx); err != nil {
				return err
			}
		}
	case reflect.Slice:
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			return nodeErrorf(node, at, "want a list, like [1, 2, 4], not a %s", nodeKind(node))
		}
		for i, v := range seq.Values {
			p := at + "[" + strconv.Itoa(i) + "]"
			if err := checkNode(v, t.Elem(), p, idx); err != nil {
				return err
			}
		}
	case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Int32, reflect.Uint, reflect.Uint32:
		if _, ok := node.(*ast.IntegerNode); !ok {
			return nodeErrorf(node, at, "want a whole number, not %s", describe(node))
		}
		if text, _ := scalarText(node); !decimalRE.MatchString(text) {
			return nodeErrorf(node, at, "want a whole number in plain decimal digits, not %q (a leading 0 or a 0x/0o/0b prefix reads as another base)", text)
		}
	case reflect.Float64, reflect.Float32:
		switch node.(type) {
		case *ast.IntegerNode, *ast.FloatNode:
		default:
			return nodeErrorf(node, at, "want a number, like 0.01, not %s", describe(node))
		}
	case reflect.Bool:
		if _, ok := node.(*ast.BoolNode); !ok {
			return nodeErrorf(node, at, "want true or false, not %s", describe(node))
		}
	case reflect.String:
		if _, ok := scalarText(node); !ok {
			return nodeErrorf(node, at, "want a single value, not a %s", nodeKind(node))
		}
	}
	return nil
}

func nodeErrorf(node ast.Node, field, format string, a ...any) *FieldError {
	fe := fieldErrorf(field, format, a...)
	if tk := node.GetToken(); tk != nil && tk.Position != nil {
		fe.Line, fe.Column = tk.Position.Line, tk.Position.Column
	}
	return fe
}

// unwrap strips anchors and tags.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

type pair struct{ Key, Value ast.Node }

// mappingPairs returns the key/value pairs of a mapping node (go-yaml
// represents a one-key mapping as a bare MappingValueNode).
func mappingPairs(n ast.Node) ([]pair, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		ps := make([]pair, 0, len(m.Values))
		for _, v := range m.Values {
			ps = append(ps, pair{v.Key, v.Value})
		}
		return ps, true
	case *ast.MappingValueNode:
		return []pair{{m.Key, m.Value}}, true
	}
	return nil, false
}

// scalarText returns the text of a scalar node.
func scalarText(n ast.Node) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	case *ast.MappingKeyNode:
		return scalarText(v.Value)
	}
	return "", false
}

func nodeKind(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "mapping"
	case *ast.SequenceNode:
		return "list"
	}
	return "single value"
}

func describe(n ast.Node) string {
	if s, ok := scalarText(n); ok {
		return strconv.Quote(s)
	}
	return "a " + nodeKind(n)
}

// yamlKeys lists the YAML keys of struct type t, in field order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if k := yamlKey(f); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func yamlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if tag == "-" {
		return ""
	}
	if tag == "" {
		return strings.ToLower(f.Name)
	}
	return tag
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if yamlKey(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
