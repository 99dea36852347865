// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// Adversarial inputs, each with its outcome: a clear answer, the process
// alive, and the valid events around the bad one delivered.

func postJSON(t *testing.T, url string, body io.Reader) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(url, "application/json", body)
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

func TestWebhookAdversarialBodies(t *testing.T) {
	good := fmt.Sprintf(itemJSON, "good-1")
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantAnswer string
		check      func(t *testing.T, sink *consumertest.LogsSink)
	}{
		{
			name:       "invalid UTF-8 in a value is replaced, the event kept",
			body:       eventList("audit.k8s.io/v1", strings.Replace(fmt.Sprintf(itemJSON, "utf8"), `"get"`, "\"g\xffet\"", 1), good),
			wantStatus: 200,
			check: func(t *testing.T, sink *consumertest.LogsSink) {
				require.Equal(t, 2, sink.LogRecordCount())
				verb, _ := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get(auditevent.AttrVerb)
				assert.Equal(t, "g\uFFFDet", verb.Str())
			},
		},
		{name: "NUL byte in the JSON", body: eventList("audit.k8s.io/v1", good, "{\x00}"), wantStatus: 400, wantAnswer: "invalid JSON"},
		{
			name:       "escaped NUL in a string is just a character",
			body:       eventList("audit.k8s.io/v1", strings.Replace(fmt.Sprintf(itemJSON, "nul"), `"get"`, `"g\u0000et"`, 1)),
			wantStatus: 200,
		},
		{
			name:       "nesting deeper than 10,000 levels",
			body:       eventList("audit.k8s.io/v1", `{"auditID":"deep","requestObject":`+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+`}`),
			wantStatus: 400, wantAnswer: "invalid JSON",
		},
		{
			name:       "typographic quotes, as in published examples",
			body:       "{\u201ckind\u201d: \u201cEventList\u201d, \u201citems\u201d: []}",
			wantStatus: 400, wantAnswer: "invalid JSON",
		},
		{name: "kind Event with apiVersion v2 as a single event is a bad-input record", body: `{"kind":"Event","apiVersion":"audit.k8s.io/v2","auditID":"x"}`, wantStatus: 200,
			check: func(t *testing.T, sink *consumertest.LogsSink) {
				require.Equal(t, 1, sink.LogRecordCount())
				attrs := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
				errType, _ := attrs.Get(auditevent.AttrErrorType)
				assert.Equal(t, auditevent.ErrorTypeMalformed, errType.Str())
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			r := startReceiver(t, webhookConfig(), componenttest.NewNopHost(), sink, nil)
			defer func() { require.NoError(t, r.Shutdown(context.Background())) }()
			status, answer := postJSON(t, webhookURL(r, "http")+defaultPath, strings.NewReader(tc.body))
			assert.Equal(t, tc.wantStatus, status, answer)
			assert.Contains(t, answer, tc.wantAnswer)
			if tc.wantStatus != 200 {
				assert.Zero(t, sink.LogRecordCount())
			}
			if tc.check != nil {
				tc.check(t, sink)
			}
		})
	}
}

// endlessJSON is a body that never ends: `{"items":[` and then events.
type endlessJSON struct{ sent, limit int }

func (e *endlessJSON) Read(p []byte) (int, error) {
	if e.sent >= e.limit {
		return 0, io.EOF
	}
	n := 0
	if e.sent == 0 {
		n = copy(p, `{"kind":"EventList","items":[`)
	}
	for n < len(p) {
		n += copy(p[n:], `{"auditID":"x","stage":"ResponseComplete"},`)
	}
	e.sent += n
	return n, nil
}

func TestWebhook100MBBodyIsRefusedAtTheLimit(t *testing.T) {
	sink := new(consumertest.LogsSink)
	r := startReceiver(t, webhookConfig(), componenttest.NewNopHost(), sink, nil)
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()

	before := totalAlloc()
	start := time.Now()
	status, answer := postJSON(t, webhookURL(r, "http")+defaultPath, &endlessJSON{limit: 100 << 20})
	allocated := totalAlloc() - before
	t.Logf("allocated while refusing a 100 MB body: %d MiB", allocated>>20)
	// Reading stops at the limit: what a 64 MiB buffer grown by doubling
	// costs, about twice the limit, whatever the body's size.
	if !raceEnabled {
		assert.Less(t, allocated, uint64(2*defaultMaxRequestBodySize+32<<20))
	}
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Contains(t, answer, fmt.Sprintf("max_request_body_size (%d bytes)", defaultMaxRequestBodySize))
	assert.Less(t, time.Since(start), 20*time.Second)
	assert.Zero(t, sink.LogRecordCount())

	// Still serving.
	status, _ = postJSON(t, webhookURL(r, "http")+defaultPath, strings.NewReader(eventList("audit.k8s.io/v1", fmt.Sprintf(itemJSON, "after"))))
	assert.Equal(t, http.StatusOK, status)
}

func TestWebhookSlowLorisIsCutOffOthersServed(t *testing.T) {
	cfg := webhookConfig()
	cfg.Webhook.Get().ReadHeaderTimeout = 300 * time.Millisecond
	sink := new(consumertest.LogsSink)
	r := startReceiver(t, cfg, componenttest.NewNopHost(), sink, nil)
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()

	// A client that sends its headers a byte at a time, forever.
	conn, err := net.Dial("tcp", r.webhook.addr.String())
	require.NoError(t, err)
	defer conn.Close()
	closed := make(chan time.Time, 1)
	go func() {
		_, _ = io.Copy(io.Discard, conn) // returns when the server closes the connection
		closed <- time.Now()
	}()
	start := time.Now()
	go func() {
		for _, b := range []byte("POST /audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: ") {
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	// Meanwhile others are served.
	status, _ := postJSON(t, webhookURL(r, "http")+defaultPath, strings.NewReader(eventList("audit.k8s.io/v1", fmt.Sprintf(itemJSON, "fast"))))
	assert.Equal(t, http.StatusOK, status)

	select {
	case at := <-closed:
		assert.Less(t, at.Sub(start), 3*time.Second, "the slow client is cut off at read_header_timeout")
	case <-time.After(10 * time.Second):
		t.Fatal("the slow client was never cut off")
	}
	assert.Equal(t, 1, sink.LogRecordCount())
}

func TestWebhookThousandsOfConcurrentConnections(t *testing.T) {
	clients := concurrentClients
	sink := new(consumertest.LogsSink)
	r := startReceiver(t, webhookConfig(), componenttest.NewNopHost(), sink, nil)
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()
	url := webhookURL(r, "http") + defaultPath

	var wg sync.WaitGroup
	statuses := make([]int, clients)
	errs := make([]error, clients)
	startLine := make(chan struct{})
	for i := 0; i < clients; i++ {
		wg.Go(func() {
			// One connection each, as that many kube-apiservers (or attackers) would open.
			client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			<-startLine
			resp, err := client.Post(url, "application/json", strings.NewReader(eventList("audit.k8s.io/v1", fmt.Sprintf(itemJSON, fmt.Sprintf("conn-%d", i)))))
			if err != nil {
				errs[i] = err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	close(startLine)
	wg.Wait()
	ok := 0
	for i := range statuses {
		if errs[i] == nil && statuses[i] == http.StatusOK {
			ok++
		}
	}
	assert.Equal(t, clients, ok, "every connection answered 200")
	assert.Equal(t, clients, sink.LogRecordCount())
}

// A 50 MB line (an event with an enormous request object) is cut at
// max_event_size: one record with its metadata, the lines around it
// delivered, and the reader's memory bounded by the limit.
func TestFileSource50MBLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	_, _ = fmt.Fprintf(w, "%s\n", fmt.Sprintf(eventJSON, "before"))
	_, _ = fmt.Fprintf(w, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"huge","stage":"ResponseComplete","verb":"create","objectRef":{"resource":"configmaps","namespace":"kube-system","name":"big"},"stageTimestamp":"2026-11-22T13:29:04.340200Z","requestObject":{"data":{"blob":"`)
	chunk := []byte(strings.Repeat("A", 1<<20))
	for i := 0; i < 50; i++ {
		_, _ = w.Write(chunk)
	}
	_, _ = fmt.Fprintf(w, "\"}}}\n%s\n", fmt.Sprintf(eventJSON, "after"))
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())

	cfg := fileConfig(dir)
	sink := new(consumertest.LogsSink)
	before := totalAlloc()
	r := startReceiver(t, cfg, componenttest.NewNopHost(), sink, nil)
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= 3 }, 30*time.Second, 20*time.Millisecond)
	allocated := totalAlloc() - before
	t.Logf("allocated while reading a 50 MB line: %d MiB", allocated>>20)
	// The reader's buffer grows to max_event_size (16 MiB) and no further:
	// a fraction of the line's 50 MB.
	if !raceEnabled {
		assert.Less(t, allocated, uint64(4*defaultMaxEventSize))
	}
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, 3, sink.LogRecordCount(), "the rest of the long line is skipped, not emitted as fragments")

	var ids []string
	var huge plog.LogRecord
	for _, ld := range sink.AllLogs() {
		forEachRecord(ld, func(lr plog.LogRecord) {
			id, _ := lr.Attributes().Get(auditevent.AttrAuditID)
			ids = append(ids, id.Str())
			if id.Str() == "huge" {
				huge = lr
			}
		})
	}
	assert.Equal(t, []string{"before", "huge", "after"}, ids)
	errType, _ := huge.Attributes().Get(auditevent.AttrErrorType)
	assert.Equal(t, auditevent.ErrorTypeOversized, errType.Str())
	name, _ := huge.Attributes().Get(auditevent.AttrObjectName)
	assert.Equal(t, "big", name.Str())
	_, hasObject := huge.Body().Map().Get("requestObject")
	assert.False(t, hasObject, "the cut request object is dropped")
}

// totalAlloc is the bytes this process has allocated so far.
func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}
