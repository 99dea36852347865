// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadata"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg, cfg.Validate()
}

func TestConfigFileOnly(t *testing.T) {
	cfg, err := loadConfig(t, "file_only")
	require.NoError(t, err)
	assert.False(t, cfg.Webhook.HasValue(), "an absent webhook section must not start the webhook")
	f := cfg.File.Get()
	require.NotNil(t, f)
	assert.Equal(t, []string{
		"/var/log/kubernetes/audit/audit.log",
		"/var/log/kubernetes/audit/audit-*.log",
		"/var/log/kubernetes/audit/audit-*.log.gz",
	}, f.Include)
	assert.Equal(t, []string{"/var/log/kubernetes/audit/*.tmp"}, f.Exclude)
	assert.Equal(t, "beginning", f.StartAt)
	require.NotNil(t, f.Storage)
	assert.Equal(t, component.MustNewID("file_storage"), *f.Storage)
	assert.Equal(t, time.Second, f.PollInterval)
	assert.EqualValues(t, 8<<20, f.MaxEventSize)
	assert.Equal(t, defaultMaxFiles, f.MaxConcurrentFiles)
	assert.Equal(t, BodyFormatStructured, cfg.BodyFormat)
	assert.Equal(t, map[string]string{"k8s.cluster.name": "prod-eu-1"}, cfg.ResourceAttributes)
}

func TestConfigWebhookOnly(t *testing.T) {
	cfg, err := loadConfig(t, "webhook_only")
	require.NoError(t, err)
	assert.False(t, cfg.File.HasValue(), "an absent file section must not start the file source")
	w := cfg.Webhook.Get()
	require.NotNil(t, w)
	assert.Equal(t, "0.0.0.0:9443", w.NetAddr.Endpoint)
	assert.Equal(t, "/k8s-audit", w.Path)
	assert.Equal(t, "/live", w.HealthPath)
	assert.EqualValues(t, 32<<20, w.MaxRequestBodySize)
	tls := w.TLS.Get()
	require.NotNil(t, tls)
	assert.Equal(t, "/etc/otelcol/tls/server.crt", tls.CertFile)
	assert.Equal(t, "/etc/otelcol/tls/apiserver-client-ca.crt", tls.ClientCAFile)
	assert.Equal(t, BodyFormatRaw, cfg.BodyFormat)
}

func TestConfigBothWithDefaults(t *testing.T) {
	cfg, err := loadConfig(t, "both")
	require.NoError(t, err)
	f, w := cfg.File.Get(), cfg.Webhook.Get()
	require.NotNil(t, f)
	require.NotNil(t, w, "an empty webhook section enables the webhook with its defaults")
	assert.Equal(t, "end", f.StartAt)
	assert.Equal(t, defaultPoll, f.PollInterval)
	assert.EqualValues(t, defaultMaxEventSize, f.MaxEventSize)
	assert.Nil(t, f.Storage)
	assert.Equal(t, defaultEndpoint, w.NetAddr.Endpoint, "the default endpoint is loopback only")
	assert.Equal(t, defaultPath, w.Path)
	assert.Equal(t, defaultHealth, w.HealthPath)
	assert.EqualValues(t, defaultMaxRequestBodySize, w.MaxRequestBodySize)
}

func TestConfigNoSource(t *testing.T) {
	_, err := loadConfig(t, "no_source")
	require.ErrorContains(t, err, "at least one source is required: file or webhook")
}

func TestConfigBadValuesNameTheOption(t *testing.T) {
	_, err := loadConfig(t, "bad_values")
	require.Error(t, err)
	for _, want := range []string{
		"body_format:",
		"file.include:",
		"file.start_at:",
		"file.poll_interval:",
		"file.max_event_size:",
		"file.max_concurrent_files:",
		"webhook.endpoint:",
		"webhook.path:",
		"webhook.health_path:",
	} {
		assert.ErrorContains(t, err, want)
	}
}

func TestDefaultConfigNeedsASource(t *testing.T) {
	// The default has both sections as defaults, not as present values: a
	// bare `k8s_audit:` must say what is missing rather than open a port.
	cfg := createDefaultConfig().(*Config)
	require.ErrorContains(t, cfg.Validate(), "at least one source is required")
}
