package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// targetScenario is a minimal target: scenario; every case replaces its
// target block.
const targetScenario = `name: t
items: 10
sweep: {strategies: [serial]}
target:
`

func TestTargetBlock(t *testing.T) {
	tests := []struct {
		name, target string
		want         []string // substrings of the error; none: valid
	}{
		{"url", "  url: http://127.0.0.1:8080/x", nil},
		{"targets", "  targets: urls.txt", nil},
		{"targets json", "  targets: urls.jsonl\n  format: json", nil},
		{"a variable in the query", "  url: http://127.0.0.1:8080/x?key=${API_KEY}\n  headers: {Authorization: \"Bearer ${TOKEN}\"}", nil},
		{"tls", "  url: https://127.0.0.1:8443/\n  tls: {ca: ca.pem, cert: c.pem, key: k.pem, server_name: svc.test}\n  http: 2", nil},
		{"neither", "  method: GET", []string{"t.yaml:4:", "target.url: missing", "targets:"}},
		{"both", "  url: http://127.0.0.1/\n  targets: urls.txt", []string{"t.yaml:6:", "target.targets: both url and targets"}},
		{"method with targets", "  targets: urls.txt\n  method: POST", []string{"t.yaml:6:", "target.method: not accepted with targets"}},
		{"unknown format", "  targets: urls.txt\n  format: csv", []string{"t.yaml:6:", `target.format: "csv" is not accepted: want http or json`}},
		{"format without targets", "  url: http://127.0.0.1/\n  format: json", []string{"t.yaml:6:", "target.format: only with targets"}},
		{"http 3", "  url: http://127.0.0.1/\n  http: 3", []string{"t.yaml:6:", "target.http: 3 is not accepted"}},
		{"cert without key", "  url: https://127.0.0.1/\n  tls: {cert: c.pem}", []string{"t.yaml:6:", "target.tls.key: cert and key go together"}},
		{"ca and insecure", "  url: https://127.0.0.1/\n  tls: {ca: ca.pem, insecure_skip_verify: true}", []string{"target.tls.insecure_skip_verify: set with ca"}},
		{"unknown tls field", "  url: https://127.0.0.1/\n  tls: {cafile: ca.pem}", []string{"t.yaml:6:", `unknown field "cafile"`}},
		{"a variable in the host", "  url: http://${HOST}/x", []string{"target.url:", "not its host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(targetScenario+tt.target+"\n"))
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestTargetDefaults(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(targetScenario+"  targets: urls.txt\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tg := sc.Target; tg.Method != "" || tg.Format != FormatHTTP || tg.HTTP != 1 {
		t.Errorf("a targets file's defaults: method %q format %q http %d, want none, http, 1", tg.Method, tg.Format, tg.HTTP)
	}
	sc, err = Parse("t.yaml", []byte(targetScenario+"  url: http://127.0.0.1/\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tg := sc.Target; tg.Method != "GET" || tg.Format != "" || tg.HTTP != 1 {
		t.Errorf("a url's defaults: method %q format %q http %d, want GET, none, 1", tg.Method, tg.Format, tg.HTTP)
	}
}

// TestLoadResolvesTargetPaths checks that a scenario file's target paths
// are relative to its folder, and absolute ones stay.
func TestLoadResolvesTargetPaths(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	src := targetScenario + "  targets: urls.txt\n  tls: {ca: /etc/ca.pem, cert: certs/c.pem, key: certs/k.pem}\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	tg := sc.Target
	want := []string{filepath.Join(dir, "urls.txt"), "/etc/ca.pem", filepath.Join(dir, "certs/c.pem"), filepath.Join(dir, "certs/k.pem")}
	for i, got := range []string{tg.Targets, tg.TLS.CA, tg.TLS.Cert, tg.TLS.Key} {
		if got != want[i] {
			t.Errorf("path %d: %q, want %q", i, got, want[i])
		}
	}
}
