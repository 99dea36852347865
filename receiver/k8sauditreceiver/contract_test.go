// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadata"
)

// contractFactory is the receiver's factory with the contract checker's ID
// attribute copied from k8s.audit.id: the checker needs its own attribute on
// each record, and the audit ID is what identifies an event.
func contractFactory() receiver.Factory {
	return receiver.NewFactory(metadata.Type, createDefaultConfig,
		receiver.WithLogs(func(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
			return createLogs(ctx, set, cfg, idCopier{next})
		}, metadata.LogsStability))
}

type idCopier struct{ next consumer.Logs }

func (c idCopier) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (c idCopier) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	forEachRecord(ld, func(lr plog.LogRecord) {
		if id, ok := lr.Attributes().Get(auditevent.AttrAuditID); ok {
			lr.Attributes().PutStr(receivertest.UniqueIDAttrName, id.Str())
		}
	})
	return c.next.ConsumeLogs(ctx, ld)
}

var contractSeq atomic.Int64

func nextContractID() string { return fmt.Sprintf("contract-%d", contractSeq.Add(1)) }

func contractEvent(id string) string {
	return fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":%q,"stage":"ResponseComplete","verb":"get","requestReceivedTimestamp":"2026-11-22T13:29:04.332100Z","stageTimestamp":"2026-11-22T13:29:04.340200Z"}`, id)
}

// webhookGenerator posts EventLists as kube-apiserver does and, like it,
// re-sends a batch answered 429 or 503. A 500 (permanent) is not retried.
type webhookGenerator struct {
	t      *testing.T
	url    string
	client *http.Client
}

// Start drops connections kept alive to the previous scenario's receiver,
// which listened on the same address and has stopped.
func (g *webhookGenerator) Start() { g.client.CloseIdleConnections() }
func (g *webhookGenerator) Stop()  {}

func (g *webhookGenerator) Generate() []receivertest.UniqueIDAttrVal {
	ids := []receivertest.UniqueIDAttrVal{}
	var items []string
	for i := 0; i < 3; i++ {
		id := nextContractID()
		ids = append(ids, receivertest.UniqueIDAttrVal(id))
		items = append(items, contractEvent(id))
	}
	body := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + strings.Join(items, ",") + `]}`
	for {
		resp, err := g.client.Post(g.url, "application/json", strings.NewReader(body))
		require.NoError(g.t, err)
		require.NoError(g.t, resp.Body.Close())
		switch resp.StatusCode {
		case http.StatusOK, http.StatusInternalServerError:
			return ids
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			time.Sleep(time.Millisecond)
		default:
			g.t.Fatalf("unexpected status %d", resp.StatusCode)
		}
	}
}

func TestWebhookConsumeContract(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	cfg := createDefaultConfig().(*Config)
	cfg.Webhook.GetOrInsertDefault().NetAddr.Endpoint = addr
	receivertest.CheckConsumeContract(receivertest.CheckConsumeContractParams{
		T:             t,
		Factory:       contractFactory(),
		Signal:        pipeline.SignalLogs,
		Config:        cfg,
		Generator:     &webhookGenerator{t: t, url: "http://" + addr + defaultPath, client: &http.Client{Timeout: 10 * time.Second}},
		GenerateCount: 200,
	})
}

// fileGenerator appends events to a log the file source tails. Each
// scenario of the checker starts a new receiver: the file is made anew for
// it and removed once that receiver has stopped.
type fileGenerator struct {
	t    *testing.T
	path string
	mu   sync.Mutex
	f    *os.File
}

func (g *fileGenerator) Start() {
	f, err := os.OpenFile(g.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	require.NoError(g.t, err)
	g.f = f
}

func (g *fileGenerator) Stop() {
	require.NoError(g.t, g.f.Close())
	require.NoError(g.t, os.Remove(g.path))
}

func (g *fileGenerator) Generate() []receivertest.UniqueIDAttrVal {
	id := nextContractID()
	g.mu.Lock()
	defer g.mu.Unlock()
	_, err := g.f.WriteString(contractEvent(id) + "\n")
	require.NoError(g.t, err)
	return []receivertest.UniqueIDAttrVal{receivertest.UniqueIDAttrVal(id)}
}

func TestFileConsumeContract(t *testing.T) {
	// The checker waits a fixed 5 s for the last records, as long as the file
	// source's longest backoff: a run of refusals at the end, slowed by -race on
	// a busy machine, would outlast it (seen in CI).
	defer func(old time.Duration) { retryMax = old }(retryMax)
	retryMax = 400 * time.Millisecond
	path := filepath.Join(t.TempDir(), "audit.log")
	cfg := createDefaultConfig().(*Config)
	f := cfg.File.GetOrInsertDefault()
	f.Include = []string{path}
	f.StartAt = "beginning"
	f.PollInterval = 10 * time.Millisecond
	receivertest.CheckConsumeContract(receivertest.CheckConsumeContractParams{
		T:             t,
		Factory:       contractFactory(),
		Signal:        pipeline.SignalLogs,
		Config:        cfg,
		Generator:     &fileGenerator{t: t, path: path},
		GenerateCount: 300,
	})
}
