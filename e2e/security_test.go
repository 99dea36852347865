// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func e2eBinary(t *testing.T) string {
	t.Helper()
	binary := os.Getenv(binaryEnv)
	if binary == "" {
		t.Skipf("%s is not set; `make test` builds the collector and sets it", binaryEnv)
	}
	return binary
}

// TestWebhookBearerToken puts the webhook behind contrib's bearertokenauth
// extension, as a kubeconfig `token:` would be checked: no token or a wrong
// one gets 401 and produces no record.
func TestWebhookBearerToken(t *testing.T) {
	binary := e2eBinary(t)
	dir := t.TempDir()
	sink := newKeyCounter(t, false)
	webhookAddr, healthAddr := freeAddr(t), freeAddr(t)
	config := fmt.Sprintf(`extensions:
  bearertokenauth:
    token: audit-sink-token
  health_check:
    endpoint: %[3]q

receivers:
  k8s_audit:
    webhook:
      endpoint: %[1]q
      auth:
        authenticator: bearertokenauth

exporters:
  otlp_http:
    endpoint: %[2]q
    sending_queue:
      enabled: false

service:
  extensions: [bearertokenauth, health_check]
  pipelines:
    logs:
      receivers: [k8s_audit]
      exporters: [otlp_http]
  telemetry:
    metrics:
      level: none
`, webhookAddr, sink.url(), healthAddr)
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	collector := startCollector(t, binary, path, filepath.Join(dir, "collector.out"))
	waitHealthCheck(t, collector, healthAddr)

	post := func(id, authorization string) int {
		body := fmt.Sprintf(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"level":"Metadata","auditID":%q,"stage":"ResponseComplete","verb":"get","stageTimestamp":"2026-11-22T13:29:04.340200Z"}]}`, id)
		req, err := http.NewRequest(http.MethodPost, "http://"+webhookAddr+webhookPath+"?timeout=30s", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, post("no-token", ""))
	assert.Equal(t, http.StatusUnauthorized, post("wrong-token", "Bearer not-the-token"))
	assert.Equal(t, http.StatusUnauthorized, post("not-bearer", "Basic YWRtaW46YWRtaW4="))
	assert.Equal(t, http.StatusOK, post("right-token", "Bearer audit-sink-token"))
	collector.stop(t)

	arrived, _, total := sink.tally([]string{"right-token/ResponseComplete"})
	assert.Equal(t, 1, arrived)
	assert.Equal(t, 1, total, "refused requests produce no records")
}

const secretsFixtures = "secrets-requestresponse"

// TestNoSecretLeavesTheCollector runs real kube-apiserver output that carries
// Secrets (created, applied with stringData, listed, read), a TokenReview and
// a TokenRequest at RequestResponse level, plus seeded events (a patch, a
// line cut mid-Secret, an oversized event), through the distribution with the
// k8s_audit processor's default redaction. No secret value, base64 or
// decoded, appears in any byte sent to the OTLP endpoint or in anything the
// collector printed, with the debug exporter printing every record.
func TestNoSecretLeavesTheCollector(t *testing.T) {
	binary := e2eBinary(t)
	fixtures := filepath.Join(repoRoot, "..", "shared", "fixtures", "kube-apiserver-v1.37", secretsFixtures)
	dir := t.TempDir()
	logDir := filepath.Join(dir, "audit")
	require.NoError(t, os.Mkdir(logDir, 0o700))

	// File source: the rotated, gzip'd backup kube-apiserver wrote, and
	// seeded lines.
	backups, err := filepath.Glob(filepath.Join(fixtures, "audit-log", "*.log.gz"))
	require.NoError(t, err)
	require.NotEmpty(t, backups)
	var lines [][]byte
	for _, b := range backups {
		copyFile(t, b, filepath.Join(logDir, filepath.Base(b)))
		lines = append(lines, gunzipLines(t, b)...)
	}
	seeded := seededSecretLines()
	require.NoError(t, os.WriteFile(filepath.Join(logDir, "audit.log"), append(bytes.Join(seeded, []byte("\n")), '\n'), 0o600))
	lines = append(lines, seeded...)

	// Webhook source: the captured POSTs.
	bodies, err := filepath.Glob(filepath.Join(fixtures, "webhook", "*.body"))
	require.NoError(t, err)
	require.NotEmpty(t, bodies)
	var posts [][]byte
	for _, b := range bodies {
		body, err := os.ReadFile(b)
		require.NoError(t, err)
		posts = append(posts, body)
		var list struct{ Items []json.RawMessage }
		require.NoError(t, json.Unmarshal(body, &list))
		for _, it := range list.Items {
			lines = append(lines, it)
		}
	}

	secrets := collectSecrets(t, lines)
	require.GreaterOrEqual(t, len(secrets), 10, "the inputs must carry secrets for this test to mean anything")
	t.Logf("%d distinct secret values seeded or found in the inputs", len(secrets))

	sink := newKeyCounter(t, true)
	webhookAddr, healthAddr := freeAddr(t), freeAddr(t)
	config := fmt.Sprintf(`extensions:
  health_check:
    endpoint: %[4]q

receivers:
  k8s_audit/file:
    file:
      include: [%[1]q]
      start_at: beginning
      poll_interval: 50ms
      max_event_size: 64KiB
  k8s_audit/webhook:
    webhook:
      endpoint: %[2]q
    body_format: raw

processors:
  k8s_audit:

exporters:
  otlp_http:
    endpoint: %[3]q
    sending_queue:
      enabled: false
  debug:
    verbosity: detailed

service:
  extensions: [health_check]
  pipelines:
    logs:
      receivers: [k8s_audit/file, k8s_audit/webhook]
      processors: [k8s_audit]
      exporters: [otlp_http, debug]
  telemetry:
    logs:
      level: debug
    metrics:
      level: none
`, filepath.Join(logDir, "audit*"), webhookAddr, sink.url(), healthAddr)
	configPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(configPath, []byte(config), 0o600))
	outPath := filepath.Join(dir, "collector.out")
	collector := startCollector(t, binary, configPath, outPath)
	waitHealthCheck(t, collector, healthAddr)
	for i, body := range posts {
		req, err := http.NewRequest(http.MethodPost, "http://"+webhookAddr+webhookPath+"?timeout=30s", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
		require.NoError(t, err, "POST %d", i)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "POST %d", i)
	}
	require.Eventually(t, func() bool {
		_, _, total := sink.tally(nil)
		return total >= len(lines)
	}, deliveryTimeout, 100*time.Millisecond, "records: %d, want %d", func() int { _, _, n := sink.tally(nil); return n }(), len(lines))
	collector.stop(t)

	exported := sink.rawBytes()
	printed, err := os.ReadFile(outPath)
	require.NoError(t, err)
	require.Contains(t, string(printed), "k8s.audit.id", "the debug exporter printed the records")
	var leaked []string
	for _, s := range secrets {
		if bytes.Contains(exported, []byte(s)) {
			leaked = append(leaked, "exported: "+s)
		}
		if bytes.Contains(printed, []byte(s)) {
			leaked = append(leaked, "printed: "+s)
		}
	}
	assert.Empty(t, leaked, "secret values that left the collector")
}

// seededSecretLines are events with distinctive secrets in the places the
// captured output does not cover: a JSON-patch of a Secret, a merge patch, a
// line cut in the middle of a Secret (a bad input, forwarded as text), and a
// Secret too large for max_event_size.
func seededSecretLines() [][]byte {
	head := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets/db","verb":"patch","user":{"username":"alice"},"objectRef":{"resource":"secrets","namespace":"default","name":"db","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-22T13:29:04.332100Z","stageTimestamp":"2026-11-22T13:29:04.340200Z",`
	jsonPatch := head + `"auditID":"seed-jsonpatch","requestObject":[{"op":"replace","path":"/data/password","value":"U2VlZGVkSnNvblBhdGNoUGFzc3dvcmQ="}],"responseObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","namespace":"default"},"data":{"password":"U2VlZGVkSnNvblBhdGNoUGFzc3dvcmQ="},"type":"Opaque"}}`
	mergePatch := head + `"auditID":"seed-mergepatch","requestObject":{"stringData":{"api-key":"seeded-merge-patch-api-key-7781"}},"responseObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","namespace":"default"},"data":{"api-key":"c2VlZGVkLW1lcmdlLXBhdGNoLWFwaS1rZXktNzc4MQ=="},"type":"Opaque"}}`
	cut := head + `"auditID":"seed-cut","requestObject":{"kind":"Secret","apiVersion":"v1","data":{"token":"c2VlZGVkLWN1dC1saW5lLXNlY3JldC05OTE=","other":"c2VlZGVk`
	big := head + `"auditID":"seed-oversized","requestObject":{"kind":"Secret","apiVersion":"v1","data":{"key":"c2VlZGVkLW92ZXJzaXplZC1zZWNyZXQtNDQ1","pad":"` + strings.Repeat("QUFB", 30000) + `"}}}`
	return [][]byte{[]byte(jsonPatch), []byte(mergePatch), []byte(cut), []byte(big)}
}

func gunzipLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	data, err := io.ReadAll(zr)
	require.NoError(t, err)
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

// collectSecrets finds the secret values in audit events: Secret data
// (base64, and decoded) and stringData, also inside lists, patches and
// last-applied annotations; TokenReview spec.token; TokenRequest
// status.token. Lines that are not whole JSON are searched for the seeded
// values' shape instead.
func collectSecrets(t *testing.T, lines [][]byte) []string {
	t.Helper()
	found := map[string]bool{}
	add := func(v string) {
		if len(v) < 8 {
			return // too short to be told apart from ordinary text
		}
		found[v] = true
		if dec, err := base64.StdEncoding.DecodeString(v); err == nil && len(dec) >= 8 && isPrintable(dec) {
			found[string(dec)] = true
		}
	}
	for _, line := range lines {
		var ev map[string]any
		if json.Unmarshal(line, &ev) != nil {
			// The cut line: its values are the seeded base64 strings.
			for _, s := range []string{"c2VlZGVkLWN1dC1saW5lLXNlY3JldC05OTE="} {
				if bytes.Contains(line, []byte(s)) {
					add(s)
				}
			}
			continue
		}
		ref, _ := ev["objectRef"].(map[string]any)
		resource, _ := ref["resource"].(string)
		sub, _ := ref["subresource"].(string)
		for _, key := range []string{"requestObject", "responseObject"} {
			obj := ev[key]
			walkSecrets(obj, add)
			if resource == "secrets" {
				// Patches: every string under data or stringData, and JSON-patch values.
				walkPatch(obj, add)
			}
			if m, ok := obj.(map[string]any); ok {
				if resource == "tokenreviews" {
					if spec, ok := m["spec"].(map[string]any); ok {
						if tok, ok := spec["token"].(string); ok {
							add(tok)
						}
					}
				}
				if resource == "serviceaccounts" && sub == "token" {
					if st, ok := m["status"].(map[string]any); ok {
						if tok, ok := st["token"].(string); ok {
							add(tok)
						}
					}
				}
			}
		}
	}
	out := make([]string, 0, len(found))
	for s := range found {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func walkSecrets(v any, add func(string)) {
	switch x := v.(type) {
	case map[string]any:
		if x["kind"] == "Secret" {
			for _, field := range []string{"data", "stringData"} {
				if m, ok := x[field].(map[string]any); ok {
					for _, val := range m {
						if s, ok := val.(string); ok {
							add(s)
						}
					}
				}
			}
			if md, ok := x["metadata"].(map[string]any); ok {
				if ann, ok := md["annotations"].(map[string]any); ok {
					if last, ok := ann["kubectl.kubernetes.io/last-applied-configuration"].(string); ok {
						var applied any
						if json.Unmarshal([]byte(last), &applied) == nil {
							walkSecrets(applied, add)
						}
					}
				}
			}
		}
		for _, e := range x {
			walkSecrets(e, add)
		}
	case []any:
		for _, e := range x {
			walkSecrets(e, add)
		}
	}
}

func walkPatch(v any, add func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "data" || k == "stringData" {
				if m, ok := e.(map[string]any); ok {
					for _, val := range m {
						if s, ok := val.(string); ok {
							add(s)
						}
					}
				}
			}
			walkPatch(e, add)
		}
	case []any:
		for _, e := range x {
			if op, ok := e.(map[string]any); ok {
				if p, _ := op["path"].(string); strings.HasPrefix(p, "/data") || strings.HasPrefix(p, "/stringData") {
					if s, ok := op["value"].(string); ok {
						add(s)
					}
				}
			}
			walkPatch(e, add)
		}
	}
}

func isPrintable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
