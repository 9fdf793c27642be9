package ui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/internal/testrepo"
)

// TestMain seals git from the developer's configuration.
func TestMain(m *testing.M) { testrepo.Main(m) }

// testServer serves dir on a test server; the client carries the token as a cookie already.
type testServer struct {
	*Server
	ts  *httptest.Server
	url string
}

func newTestServer(tb testing.TB, dir string, opts Options) *testServer {
	tb.Helper()
	opts.Dir = dir
	if opts.Poll == 0 {
		opts.Poll = 50 * time.Millisecond
	}
	s, err := New(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	s.port = ts.URL[strings.LastIndex(ts.URL, ":")+1:]
	tb.Cleanup(func() {
		s.hub.stop()
		ts.Close()
		s.Close()
	})
	return &testServer{Server: s, ts: ts, url: ts.URL}
}

// do sends a request with the token (as a bearer header) and returns the status and body.
func (t *testServer) do(tb testing.TB, method, path string, body string, hdr ...string) (int, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, t.url+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+t.Token())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// getJSON GETs path and decodes a 200 answer.
func (t *testServer) getJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	code, b := t.do(tb, "GET", path, "")
	if code != 200 {
		tb.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("GET %s: %v\n%s", path, err, b)
	}
}

// wantError checks a 4xx answer with a one-line JSON error.
func (t *testServer) wantError(tb testing.TB, code int, method, path, body string, hdr ...string) map[string]any {
	tb.Helper()
	got, b := t.do(tb, method, path, body, hdr...)
	if got != code {
		tb.Fatalf("%s %s: status %d, want %d: %s", method, path, got, code, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("%s %s: not JSON: %s", method, path, b)
	}
	msg, _ := m["error"].(string)
	if msg == "" || strings.Contains(msg, "\n") {
		tb.Fatalf("%s %s: want a one-line error, got %q", method, path, msg)
	}
	return m
}
