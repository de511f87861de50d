package scenario

import (
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Targets file formats, as vegeta's -format names them.
const (
	FormatHTTP = "http"
	FormatJSON = "json"
)

// fillDefaults fills a target's unset fields: GET for a URL, the http
// format for a Targets file, HTTP/1.1. Its TLS block is copied.
func (t *Target) fillDefaults() {
	if t.Targets == "" && t.Method == "" {
		t.Method = "GET"
	}
	if t.Targets != "" && t.Format == "" {
		t.Format = FormatHTTP
	}
	if t.HTTP == 0 {
		t.HTTP = 1
	}
	if t.TLS != nil {
		c := *t.TLS
		t.TLS = &c
	}
}

func (t *Target) validate() error {
	switch {
	case t.URL == "" && t.Targets == "":
		return fieldErrorf("url", "missing: want an http:// or https:// URL, or targets: a file of requests in vegeta's format")
	case t.URL != "" && t.Targets != "":
		return fieldErrorf("targets", "both url and targets are set: want one (targets: each item sends the file's next request)")
	case t.Targets != "":
		if t.Method != "" {
			return fieldErrorf("method", "not accepted with targets: each request in the file has its own method")
		}
		if t.Format != FormatHTTP && t.Format != FormatJSON {
			return fieldErrorf("format", "%q is not accepted: want http or json (vegeta's target formats)", t.Format)
		}
	default:
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fieldErrorf("url", "%q is not accepted: want an absolute http:// or https:// URL (an environment variable, ${NAME}, may stand in its path or query, not its host)", t.URL)
		}
		if !slices.Contains(methods, t.Method) {
			return fieldErrorf("method", "%q is not accepted: want one of %s", t.Method, strings.Join(methods, ", "))
		}
		if t.Format != "" {
			return fieldErrorf("format", "only with targets: it is the targets file's format")
		}
	}
	for k := range t.Headers {
		if !httpguts.ValidHeaderFieldName(k) {
			return fieldErrorf("headers."+k, "%q is not a valid header name", k)
		}
	}
	if t.HTTP != 1 && t.HTTP != 2 {
		return fieldErrorf("http", "%d is not accepted: want 1 (HTTP/1.1) or 2 (HTTP/2: h2 over https://, h2c over http://)", t.HTTP)
	}
	if t.TLS != nil {
		if (t.TLS.Cert == "") != (t.TLS.Key == "") {
			return fieldErrorf("tls.key", "cert and key go together: want both (a client certificate and its key) or neither")
		}
		if t.TLS.InsecureSkipVerify && t.TLS.CA != "" {
			return fieldErrorf("tls.insecure_skip_verify", "set with ca: want one (ca verifies the service's certificate; insecure_skip_verify accepts any)")
		}
	}
	return nil
}

// resolvePaths makes the target's relative file paths (targets, tls.ca,
// tls.cert, tls.key) relative to dir, the scenario file's folder.
func (t *Target) resolvePaths(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&t.Targets)
	if t.TLS != nil {
		abs(&t.TLS.CA)
		abs(&t.TLS.Cert)
		abs(&t.TLS.Key)
	}
}
