package sweep

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/poolbench/poolbench/bench/scenario"
)

// tlsConfig is the client TLS configuration of target.tls (nil: the
// defaults, the system's roots): its CA file as the only roots, its
// client certificate, its server name. A file that cannot be read or
// holds no certificate is an error naming it.
func tlsConfig(t *scenario.TLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t == nil {
		return cfg, nil
	}
	cfg.ServerName = t.ServerName
	cfg.InsecureSkipVerify = t.InsecureSkipVerify // #nosec G402 -- the user asked for it, as curl -k
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("target.tls.ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("target.tls.ca: %s holds no PEM certificate", t.CA)
		}
		cfg.RootCAs = pool
	}
	if t.Cert != "" {
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("target.tls.cert and key (%s, %s): %w", t.Cert, t.Key, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// tlsHint says what to do about a certificate problem err shows, "" when
// err is not one.
func tlsHint(err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		alert    tls.AlertError
		record   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknown):
		return "give target.tls.ca the certificate of the CA that signed the service's certificate (or insecure_skip_verify: true, as curl -k)"
	case errors.As(err, &hostname):
		return "set target.tls.server_name to a name the service's certificate holds, or call it by that name"
	case errors.As(err, &invalid):
		return "the service's certificate is not valid (expired, or not for a server): renew it, or insecure_skip_verify: true"
	case errors.As(err, &verify):
		return "check target.tls.ca and the service's certificate"
	case errors.As(err, &alert):
		return "the service refused the TLS handshake: does it want a client certificate (target.tls.cert and key)?"
	case errors.As(err, &record):
		return "the service does not speak TLS there: use http://, or the service's TLS port"
	}
	return ""
}
