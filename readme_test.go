package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmePaths: every path README.md names in inline code or a link,
// under a folder or file of this repository, exists (a glob matches at
// least one file). Generated output (reports/ but for the committed
// baseline, bin/) and placeholders (<name>, NAME) are not checked; nor
// are fenced code blocks, whose commands name the files they write.
func TestReadmePaths(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	paths := readmePaths(string(b))
	if len(paths) < 10 {
		t.Fatalf("found %d paths in README.md, want many: %v", len(paths), paths)
	}
	for _, p := range paths {
		matches, err := filepath.Glob(strings.TrimSuffix(p.path, "/"))
		if err != nil || len(matches) == 0 {
			t.Errorf("README.md:%d names %s, which does not exist", p.line, p.path)
		}
	}
}

type readmePath struct {
	line int
	path string
}

var (
	inlineCode = regexp.MustCompile("`[^`]+`")
	linkTarget = regexp.MustCompile(`\]\(([^)#\s]+)`)
	// placeholder is a segment in capitals: scenarios/NAME.yaml, DIR/x.
	placeholder = regexp.MustCompile(`(^|/)[A-Z][A-Z_]+(\.|/|$)`)
)

// readmePaths lists the repository paths markdown names outside fenced
// code blocks: the words of inline code, and link targets, whose first
// segment is a file or folder at the repository's root.
func readmePaths(markdown string) []readmePath {
	var out []readmePath
	fenced := false
	for i, line := range strings.Split(markdown, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		var words []string
		for _, code := range inlineCode.FindAllString(line, -1) {
			words = append(words, strings.Fields(strings.Trim(code, "`"))...)
		}
		for _, m := range linkTarget.FindAllStringSubmatch(line, -1) {
			words = append(words, m[1])
		}
		for _, w := range words {
			if isRepoPath(w) {
				out = append(out, readmePath{i + 1, w})
			}
		}
	}
	return out
}

// isRepoPath says whether w names a path of this repository to check.
func isRepoPath(w string) bool {
	first, _, nested := strings.Cut(w, "/")
	switch {
	case !nested, strings.Contains(w, "://"), strings.ContainsAny(w, "<>$="),
		placeholder.MatchString(w),
		first == "bin", first == "reports" && !strings.HasPrefix(w, "reports/baseline/"):
		return false
	}
	_, err := os.Stat(first)
	return err == nil
}

// TestReadmePathsFinds: the check sees a wrong path in inline code and in
// a link, and leaves alone units, placeholders, generated output and
// fenced blocks.
func TestReadmePathsFinds(t *testing.T) {
	md := "see `testdata/script/gate_service.txtar` and [the gate](scripts/gate.sh)\n" +
		"items/s, `items/s`, `reports/<name>/`, `reports/seed-816s/index.html`, `scenarios/NAME.yaml`\n" +
		"```\npoolbench run -out testdata/nowhere x\n```\n" +
		"run `scripts/gate.sh check SC BASE OUT` on `https://example.com/a/b`\n"
	got := readmePaths(md)
	want := []readmePath{{1, "testdata/script/gate_service.txtar"}, {1, "scripts/gate.sh"}, {6, "scripts/gate.sh"}}
	if len(got) != len(want) {
		t.Fatalf("readmePaths = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("readmePaths[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := os.Stat("testdata/script/gate_service.txtar"); err == nil {
		t.Fatal("testdata/script/gate_service.txtar exists: this test needs a path that does not")
	}
}
