// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
)

// Config is the configuration of the k8s_audit processor.
type Config struct {
	// Enrich switches the attributes the processor adds, one by one.
	Enrich EnrichConfig `mapstructure:"enrich"`
	// Redaction removes secrets and tokens; on by default.
	Redaction RedactionConfig `mapstructure:"redaction"`
	// Policy is a Kubernetes audit.k8s.io/v1 Policy: a file path, or the
	// policy itself as inline YAML. Empty means no policy.
	Policy string `mapstructure:"policy"`
	// Dedup drops repeated (auditID, stage) pairs; present means enabled.
	Dedup configoptional.Optional[DedupConfig] `mapstructure:"dedup"`

	_ struct{}
}

// EnrichConfig switches each enrichment.
type EnrichConfig struct {
	// Latency adds k8s.audit.latency_ms.
	Latency bool `mapstructure:"latency"`
	// UserKind adds k8s.audit.user.kind and, for service accounts and
	// nodes, their namespace and name.
	UserKind bool `mapstructure:"user_kind"`
	// Impersonation adds k8s.audit.impersonated and the impersonated user's kind.
	Impersonation bool `mapstructure:"impersonation"`
	// Object adds the object's name and UID from the request or response
	// object, and the semantic-convention k8s.<kind>.name/uid attributes.
	Object bool `mapstructure:"object"`
	// LongRunning adds k8s.audit.long_running for watch, exec, attach,
	// port-forward and proxy requests.
	LongRunning bool `mapstructure:"long_running"`
	// Outcome adds k8s.audit.outcome: success or failure.
	Outcome bool `mapstructure:"outcome"`
	// TraceContext sets the record's trace and span IDs from the auditID
	// (auditevent.RequestIDs) when the record has none.
	TraceContext bool `mapstructure:"trace_context"`

	_ struct{}
}

// RedactionConfig configures redaction of bodies and attributes.
type RedactionConfig struct {
	// Secrets masks Secret data and stringData, also inside lists, patches
	// and kubectl last-applied-configuration annotations.
	Secrets bool `mapstructure:"secrets"`
	// Tokens masks TokenReview spec.token, TokenRequest status.token and
	// bearer or JWT-shaped strings anywhere in the body and attributes.
	Tokens bool `mapstructure:"tokens"`
	// RemovePaths are body paths to remove (see README for the syntax).
	RemovePaths []string `mapstructure:"remove_paths"`
	// MaskPaths are body paths whose values are replaced by the mask.
	MaskPaths []string `mapstructure:"mask_paths"`
	// DropObjects lists resources ("configmaps", "deployments.apps") whose
	// request and response objects are removed.
	DropObjects []string `mapstructure:"drop_objects"`
	// Pseudonymize replaces user names, groups and source IPs by a keyed
	// hash; present means enabled.
	Pseudonymize configoptional.Optional[PseudonymizeConfig] `mapstructure:"pseudonymize"`

	_ struct{}
}

// PseudonymizeConfig configures pseudonymisation with HMAC-SHA256.
type PseudonymizeConfig struct {
	// Key is the HMAC key. The same key gives the same pseudonyms across
	// restarts and collectors.
	Key configopaque.String `mapstructure:"key"`
	// UserNames pseudonymises user and impersonated user names, UIDs and extra values.
	UserNames bool `mapstructure:"user_names"`
	// Groups pseudonymises user and impersonated user groups.
	Groups bool `mapstructure:"groups"`
	// SourceIPs pseudonymises the source IPs.
	SourceIPs bool `mapstructure:"source_ips"`
	// KeepSystemIdentities keeps names and groups that start with
	// "system:" (service accounts, nodes, control-plane components), which
	// are not persons.
	KeepSystemIdentities bool `mapstructure:"keep_system_identities"`

	_ struct{}
}

// DedupConfig configures duplicate suppression.
type DedupConfig struct {
	// Window is how long an (auditID, stage) pair is remembered.
	Window time.Duration `mapstructure:"window"`
	// MaxEntries bounds the pairs remembered; the oldest are forgotten first.
	MaxEntries int `mapstructure:"max_entries"`

	_ struct{}
}

const minPseudonymKeyLen = 16

// Validate checks the configuration at start-up.
func (cfg *Config) Validate() error {
	var errs []error
	for _, p := range cfg.Redaction.RemovePaths {
		if _, err := parsePath(p); err != nil {
			errs = append(errs, fmt.Errorf("redaction.remove_paths: %w", err))
		}
	}
	for _, p := range cfg.Redaction.MaskPaths {
		if _, err := parsePath(p); err != nil {
			errs = append(errs, fmt.Errorf("redaction.mask_paths: %w", err))
		}
	}
	for _, r := range cfg.Redaction.DropObjects {
		if r == "" || strings.ContainsAny(r, "/* ") {
			errs = append(errs, fmt.Errorf("redaction.drop_objects: %q is not a resource name such as \"configmaps\" or \"deployments.apps\"", r))
		}
	}
	if p := cfg.Redaction.Pseudonymize.Get(); p != nil {
		if len(p.Key) < minPseudonymKeyLen {
			errs = append(errs, fmt.Errorf("redaction.pseudonymize.key: must be at least %d bytes", minPseudonymKeyLen))
		}
		if !p.UserNames && !p.Groups && !p.SourceIPs {
			errs = append(errs, errors.New("redaction.pseudonymize: at least one of user_names, groups, source_ips must be true"))
		}
	}
	if cfg.Policy != "" {
		if _, err := loadPolicy(cfg.Policy); err != nil {
			errs = append(errs, fmt.Errorf("policy: %w", err))
		}
	}
	if d := cfg.Dedup.Get(); d != nil {
		if d.Window <= 0 {
			errs = append(errs, errors.New("dedup.window: must be positive"))
		}
		if d.MaxEntries <= 0 {
			errs = append(errs, errors.New("dedup.max_entries: must be positive"))
		}
	}
	return errors.Join(errs...)
}
