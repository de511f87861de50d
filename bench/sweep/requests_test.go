package sweep

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/internal/raceflag"
)

// targetsScenario returns a target: scenario of items reading file in
// format, with the headers and body given as defaults.
func targetsScenario(t *testing.T, file, format string, items int, extra string) *scenario.Scenario {
	t.Helper()
	return mustParse(t, fmt.Sprintf("name: t\nitems: %d\ntarget: {targets: %q, format: %s%s}\nsweep: {strategies: [serial]}\n", items, file, format, extra))
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(vars map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// httpTargets is three requests in vegeta's http format, with comments,
// headers, a body file and blank lines.
const httpTargets = `# three requests
GET http://127.0.0.1:1/items/0?key=${KEY}
X-Item: 0

POST http://127.0.0.1:1/items/1
Authorization: Bearer ${TOKEN}
@BODY
# the last one has no headers
DELETE http://127.0.0.1:1/items/2
`

// TestFeedSendsItemIRequestI checks that item i gets request i mod n,
// whatever order the items ask in, with its variables expanded, its
// headers merged with the defaults and its URL as written kept for the
// records; and that fewer requests than items is said once.
func TestFeedSendsItemIRequestI(t *testing.T) {
	body := writeFile(t, "body.json", `{"token": "${TOKEN}"}`)
	file := writeFile(t, "urls.txt", strings.Replace(httpTargets, "BODY", body, 1))
	sc := targetsScenario(t, file, "http", 10, `, headers: {X-Default: "d"}`)
	vars := map[string]string{"KEY": "k-secret", "TOKEN": "t-secret"}
	r, err := OpenRequests(context.Background(), sc, env(vars), false)
	if err != nil {
		t.Fatal(err)
	}
	if r.n != 3 || !strings.Contains(r.Note(), "holds 3 requests for 10 items: item i sends request i mod 3") {
		t.Errorf("n = %d, note %q", r.n, r.Note())
	}
	fd, err := r.newFeed(results.Shard{})
	if err != nil {
		t.Fatal(err)
	}
	defer fd.close()
	order := rand.New(rand.NewPCG(1, 2)).Perm(10) // items ask out of order
	for _, i := range order {
		req, err := fd.get(i)
		if err != nil {
			t.Fatal(err)
		}
		k := i % 3
		wantURL := fmt.Sprintf("http://127.0.0.1:1/items/%d", k)
		wantMethod := []string{"GET", "POST", "DELETE"}[k]
		if k == 0 {
			wantURL += "?key=k-secret"
		}
		if req.method != wantMethod || req.url != wantURL || !strings.HasPrefix(req.raw, "http://127.0.0.1:1/items/") {
			t.Errorf("item %d: %s %s (raw %s), want %s %s", i, req.method, req.url, req.raw, wantMethod, wantURL)
		}
		if req.header.Get("X-Default") != "d" {
			t.Errorf("item %d: the default header is missing: %v", i, req.header)
		}
		if k == 1 && (req.header.Get("Authorization") != "Bearer t-secret" || string(req.body) != `{"token": "t-secret"}`) {
			t.Errorf("item 1: header %v body %q: the variables are not expanded", req.header, req.body)
		}
	}
	if len(fd.ahead) != 0 {
		t.Errorf("%d requests left waiting for items", len(fd.ahead))
	}
	if _, err := fd.get(3); err == nil {
		t.Error("an item asking twice got a request")
	}
}

// TestOpenRequestsErrors checks that a bad request names file:line and
// what is wrong.
func TestOpenRequestsErrors(t *testing.T) {
	long := "GET http://127.0.0.1/" + strings.Repeat("a", 70<<10) + "\n"
	tests := []struct {
		name, format, content string
		want                  []string
	}{
		{"bad method", "http", "GET http://127.0.0.1/a\n\nget http://127.0.0.1/b\n", []string{"urls:3: bad method: get"}},
		{"bad header", "http", "GET http://127.0.0.1/a\nno-colon\n", []string{"urls:2: bad header: no-colon"}},
		{"relative URL", "http", "GET http://127.0.0.1/a\nGET /b\n", []string{"urls:2:", `URL "/b" is not accepted`}},
		{"missing variable", "http", "GET http://127.0.0.1/a\n\n\nPOST http://127.0.0.1/b\nAuthorization: ${NOPE}\n", []string{"urls:4: header Authorization: environment variable NOPE is not set"}},
		{"remote", "http", "GET http://127.0.0.1/a\nGET http://192.0.2.7/b\n", []string{"urls:2:", "not a loopback address: 192.0.2.7", "-allow-remote"}},
		{"empty", "http", "# nothing\n\n", []string{"urls: no requests in vegeta's http format"}},
		{"too long", "http", "GET http://127.0.0.1/a\n" + long, []string{"urls:2:", "64 KiB"}},
		{"bad json", "json", `{"method": "GET", "url": "http://127.0.0.1/a"}` + "\n\n" + `{"method": "GET"` + "\n", []string{"urls:3:", "vegeta's json format"}},
		{"json without url", "json", `{"method": "GET"}` + "\n", []string{"urls:1: target: required url is missing"}},
		{"json bad variable", "json", `{"method": "GET", "url": "http://127.0.0.1/a?k=${NOPE}"}` + "\n", []string{"urls:1: environment variable NOPE is not set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "urls")
			if err := os.WriteFile(file, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := OpenRequests(context.Background(), targetsScenario(t, file, tt.format, 5, ""), env(nil), false)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
}

// TestOpenRequestsReadsItemsOnly: a file longer than the items is read
// to one request past them, and says it.
func TestOpenRequestsReadsItemsOnly(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, `{"method": "GET", "url": "http://127.0.0.1/%d"}`+"\n", i)
	}
	b.WriteString("not json at all\n") // never reached
	r, err := OpenRequests(context.Background(), targetsScenario(t, writeFile(t, "u.jsonl", b.String()), "json", 10, ""), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.n != 10 || !r.more || !strings.Contains(r.Note(), "each cell sends the first 10") {
		t.Errorf("n %d more %v note %q", r.n, r.more, r.Note())
	}
}

func TestOpenRequestsFixedTarget(t *testing.T) {
	sc := mustParse(t, `name: t
items: 1
target: {url: "http://127.0.0.1:1/x?k=${K}", method: POST, headers: {X-K: "${K}"}, body: '{"k": "${K}"}'}
sweep: {strategies: [serial]}
`)
	r, err := OpenRequests(context.Background(), sc, env(map[string]string{"K": "v"}), false)
	if err != nil {
		t.Fatal(err)
	}
	tg := r.target()
	if tg.url != "http://127.0.0.1:1/x?k=v" || tg.header.Get("X-K") != "v" || tg.body != `{"k": "v"}` || tg.method != "POST" || r.rawURL() != sc.Target.URL {
		t.Errorf("target %+v raw %q", tg, r.rawURL())
	}
	if tg.net == nil || tg.net.keyed {
		t.Error("a plain http URL left fasthttp's path")
	}
	var mv *MissingVarError
	if _, err := OpenRequests(context.Background(), sc, env(nil), false); !errors.As(err, &mv) || mv.Name != "K" {
		t.Errorf("err = %v, want K missing", err)
	}
}

// FuzzOpenRequests feeds vegeta's targeters anything: OpenRequests never
// panics, places its errors within the file, and when it accepts a file
// every item gets a request from it.
func FuzzOpenRequests(f *testing.F) {
	f.Add(httpTargets, false)
	f.Add("GET http://127.0.0.1/a\nX: 1\n\nPOST http://127.0.0.1/b\n", false)
	f.Add(`{"method":"GET","url":"http://127.0.0.1/a","header":{"A":["${X}"]}}`+"\n", true)
	f.Add("\n\n# c\nGET http://127.0.0.1/${X}\n@/nonexistent\n", false)
	f.Fuzz(func(t *testing.T, content string, json bool) {
		format := "http"
		if json {
			format = "json"
		}
		file := writeFile(t, "urls", content)
		// allowRemote: no name in a fuzzed URL is looked up.
		r, err := OpenRequests(context.Background(), targetsScenario(t, file, format, 4, ""), env(map[string]string{"X": "x"}), true)
		if err != nil {
			lines := strings.Count(content, "\n") + 1
			var line int
			if _, scanErr := fmt.Sscanf(strings.TrimPrefix(err.Error(), file+":"), "%d:", &line); scanErr == nil && (line < 1 || line > lines) {
				t.Errorf("error at line %d of a %d-line file: %v", line, lines, err)
			}
			return
		}
		fd, err := r.newFeed(results.Shard{})
		if err != nil {
			t.Fatal(err)
		}
		defer fd.close()
		for i := range 4 {
			if _, err := fd.get(i); err != nil {
				t.Fatalf("item %d of an accepted file: %v", i, err)
			}
		}
	})
}

// TestMillionRequestsStreamed: a targets file of a million requests (38 MiB)
// is checked and then fed item by item with the memory of a few requests,
// never the file's: the heap after opening it, and while a cell takes
// every request in order, or a shard every fourth, stays under a tenth of
// the file's size. Under -race, a tenth of the file (150 s for the whole
// at load 7, 12 s without -race).
func TestMillionRequestsStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 38 MiB file")
	}
	n := scenario.MaxItems
	if raceflag.Enabled {
		n /= 10
	}
	path := filepath.Join(t.TempDir(), "million.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range n {
		fmt.Fprintf(w, "GET http://127.0.0.1:8080/items/%07d\n", i)
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap()
	limit := base + uint64(fi.Size())/10
	r, err := OpenRequests(context.Background(), targetsScenario(t, path, "http", n, ""), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.n != n || r.more {
		t.Fatalf("%d requests read (more: %v), want %d", r.n, r.more, n)
	}
	h := heap()
	t.Logf("heap %.1f MB before, %.1f MB after checking the %.1f MB file", mb(base), mb(h), mb(uint64(fi.Size())))
	if h > limit {
		t.Errorf("heap %.1f MB after checking the file, over %.1f MB: the %.1f MB file is held", mb(h), mb(limit), mb(uint64(fi.Size())))
	}
	// One process asks for every item; shard 1 of 4 for items 1, 5, 9…,
	// and reads past the others' requests.
	for _, sh := range []results.Shard{{}, {Index: 1, Count: 4}} {
		fd, err := r.newFeed(sh)
		if err != nil {
			t.Fatal(err)
		}
		items := sh.Of(n)
		for k := range items {
			i := sh.Item(k)
			req, err := fd.get(i)
			if err != nil {
				t.Fatal(err)
			}
			if k%(items/4) == 0 || k == items-1 {
				if want := fmt.Sprintf("http://127.0.0.1:8080/items/%07d", i); req.url != want {
					t.Fatalf("shard %v: item %d sends %s, want %s", sh, i, req.url, want)
				}
				if h := heap(); h > limit {
					t.Fatalf("shard %v: heap %.1f MB at item %d, over %.1f MB: the %.1f MB file is held", sh, mb(h), i, mb(limit), mb(uint64(fi.Size())))
				}
			}
		}
		fd.close()
	}
}

// mb is n bytes in MiB.
func mb(n uint64) float64 { return float64(n) / (1 << 20) }
