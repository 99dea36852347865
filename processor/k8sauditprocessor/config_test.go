// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.MustNewIDWithName(metadata.Type.String(), name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg.(*Config)
}

func TestLoadConfig(t *testing.T) {
	def := createDefaultConfig().(*Config)
	all := createDefaultConfig().(*Config)
	all.Enrich = EnrichConfig{UserKind: true, Object: true, Outcome: true}
	all.Redaction.RemovePaths = []string{"requestObject.spec.containers.env"}
	all.Redaction.MaskPaths = []string{`responseObject.metadata.annotations.example\.com/token`}
	all.Redaction.DropObjects = []string{"configmaps", "deployments.apps"}
	all.Redaction.Pseudonymize = configoptional.Some(PseudonymizeConfig{
		Key:                  "0123456789abcdef0123456789abcdef",
		UserNames:            true,
		Groups:               true,
		KeepSystemIdentities: true,
	})
	all.Policy = "testdata/policy/gce.yaml"
	all.Dedup = configoptional.Some(DedupConfig{Window: 2 * time.Minute, MaxEntries: 1000})

	noRedaction := createDefaultConfig().(*Config)
	noRedaction.Redaction.Secrets = false
	noRedaction.Redaction.Tokens = false

	// An empty block enables the feature with its defaults.
	dedupDefaults := createDefaultConfig().(*Config)
	dedupDefaults.Dedup = configoptional.Some(DedupConfig{Window: 5 * time.Minute, MaxEntries: 100_000})
	keyOnly := createDefaultConfig().(*Config)
	keyOnly.Redaction.Pseudonymize = configoptional.Some(PseudonymizeConfig{
		Key: "0123456789abcdef", UserNames: true, Groups: true, SourceIPs: true, KeepSystemIdentities: true,
	})

	tests := []struct {
		name string
		want *Config
	}{
		{"", def},
		{"all", all},
		{"no_redaction", noRedaction},
		{"dedup_defaults", dedupDefaults},
		{"pseudonymize_key_only", keyOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadConfig(t, tt.name)
			require.NoError(t, cfg.Validate())
			assert.Equal(t, tt.want, cfg)
		})
	}

	cfg := loadConfig(t, "inline_policy")
	require.NoError(t, cfg.Validate())
	assert.True(t, isInlinePolicy(cfg.Policy))

	cfg = loadConfig(t, "readme")
	require.NoError(t, cfg.Validate())
	assert.False(t, cfg.Enrich.LongRunning)
	assert.False(t, cfg.Redaction.Pseudonymize.Get().SourceIPs)
	assert.Equal(t, []string{"configmaps", "leases.coordination.k8s.io"}, cfg.Redaction.DropObjects)
	assert.True(t, cfg.Dedup.HasValue())
}

func TestDefaults(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.True(t, cfg.Redaction.Secrets, "secrets are redacted by default")
	assert.True(t, cfg.Redaction.Tokens, "tokens are redacted by default")
	assert.False(t, cfg.Redaction.Pseudonymize.HasValue(), "pseudonymisation needs a key")
	assert.False(t, cfg.Dedup.HasValue(), "dedup is off by default")
	assert.Empty(t, cfg.Policy)
	require.NoError(t, cfg.Validate())
}

func TestConfigErrorsNameTheOption(t *testing.T) {
	tests := []struct {
		name    string
		wantErr []string
	}{
		{"bad_policy_file", []string{"policy: ", "missing.yaml"}},
		{"bad_policy_v1beta1", []string{"policy: ", "audit.k8s.io/v1beta1"}},
		{"bad_policy_inline", []string{"policy: ", "Everything"}},
		{"bad_paths", []string{
			`redaction.remove_paths: path "requestObject..spec" has an empty key`,
			"redaction.mask_paths: empty path",
			`redaction.drop_objects: "pods/exec"`,
		}},
		{"bad_pseudonymize", []string{
			"redaction.pseudonymize.key: must be at least 16 bytes",
			"redaction.pseudonymize: at least one of user_names, groups, source_ips",
		}},
		{"bad_dedup", []string{"dedup.window: must be positive", "dedup.max_entries: must be positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadConfig(t, tt.name).Validate()
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

// TestConfigDecodeErrorsNameTheOption: unknown options and wrong types fail
// when the configuration is read, naming the option.
func TestConfigDecodeErrorsNameTheOption(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	for name, want := range map[string]string{
		"unknown_option": "secret",
		"bad_type":       "window",
	} {
		sub, err := cm.Sub(component.MustNewIDWithName(metadata.Type.String(), name).String())
		require.NoError(t, err)
		err = sub.Unmarshal(NewFactory().CreateDefaultConfig())
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), want, name)
	}
}

func TestPseudonymizeKeyIsNotPrinted(t *testing.T) {
	cfg := loadConfig(t, "all")
	assert.NotContains(t, cfg.Redaction.Pseudonymize.Get().Key.String(), "0123456789")
}
