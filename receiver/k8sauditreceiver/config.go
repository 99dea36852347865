// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver // import "github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver"

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator/helper"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
)

// Body formats.
const (
	BodyFormatStructured = "structured"
	BodyFormatRaw        = "raw"
)

// Config is the configuration of the k8s_audit receiver. Each source runs
// only when its section is present; at least one is required.
type Config struct {
	// File tails the audit log files written by kube-apiserver's log backend.
	File configoptional.Optional[FileConfig] `mapstructure:"file"`
	// Webhook serves kube-apiserver's audit webhook backend.
	Webhook configoptional.Optional[WebhookConfig] `mapstructure:"webhook"`
	// BodyFormat is "structured" (the event as a map) or "raw" (its JSON text).
	BodyFormat string `mapstructure:"body_format"`
	// ResourceAttributes are set on every resource this receiver emits, such
	// as k8s.cluster.name, so that several clusters can share one backend.
	ResourceAttributes map[string]string `mapstructure:"resource_attributes"`

	_ struct{}
}

// FileConfig configures the file source.
type FileConfig struct {
	// Include lists glob patterns of the files to read: the active log and,
	// to recover what a restart missed, its rotated backups (plain or .gz).
	Include []string `mapstructure:"include"`
	// Exclude lists glob patterns of files not to read.
	Exclude []string `mapstructure:"exclude"`
	// StartAt is where to start in files seen for the first time without a
	// checkpoint: "end" or "beginning".
	StartAt string `mapstructure:"start_at"`
	// Storage is the ID of a storage extension (file_storage) that keeps the
	// read positions across restarts.
	Storage *component.ID `mapstructure:"storage"`
	// PollInterval is how often files are checked for new data.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// MaxEventSize is the largest event read whole; a larger one is cut, counted
	// and forwarded with the metadata read before the cut.
	MaxEventSize helper.ByteSize `mapstructure:"max_event_size"`
	// MaxConcurrentFiles bounds the files read at once.
	MaxConcurrentFiles int `mapstructure:"max_concurrent_files"`

	_ struct{}
}

// WebhookConfig configures the webhook source: an HTTP(S) server with the
// usual confighttp options (endpoint, tls with client_ca_file for mTLS, auth,
// max_request_body_size, ...).
type WebhookConfig struct {
	confighttp.ServerConfig `mapstructure:",squash"`
	// Path is where kube-apiserver POSTs EventList batches.
	Path string `mapstructure:"path"`
	// HealthPath answers GET with 200 while the receiver runs.
	HealthPath string `mapstructure:"health_path"`

	_ struct{}
}

// Validate checks the configuration at start-up.
func (cfg *Config) Validate() error {
	var errs []error
	if !cfg.File.HasValue() && !cfg.Webhook.HasValue() {
		errs = append(errs, errors.New("at least one source is required: file or webhook"))
	}
	switch cfg.BodyFormat {
	case BodyFormatStructured, BodyFormatRaw:
	default:
		errs = append(errs, fmt.Errorf("body_format: %q is not %q or %q", cfg.BodyFormat, BodyFormatStructured, BodyFormatRaw))
	}
	for k := range cfg.ResourceAttributes {
		if k == "" {
			errs = append(errs, errors.New("resource_attributes: empty attribute name"))
		}
	}
	if f := cfg.File.Get(); f != nil {
		errs = append(errs, f.validate())
	}
	if w := cfg.Webhook.Get(); w != nil {
		errs = append(errs, w.validate())
	}
	return errors.Join(errs...)
}

func (f *FileConfig) validate() error {
	var errs []error
	if len(f.Include) == 0 {
		errs = append(errs, errors.New("file.include: at least one pattern is required"))
	}
	for _, p := range append(append([]string{}, f.Include...), f.Exclude...) {
		if _, err := filepath.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("file: bad pattern %q: %w", p, err))
		}
	}
	if f.StartAt != "beginning" && f.StartAt != "end" {
		errs = append(errs, fmt.Errorf("file.start_at: %q is not \"beginning\" or \"end\"", f.StartAt))
	}
	if f.PollInterval <= 0 {
		errs = append(errs, errors.New("file.poll_interval: must be positive"))
	}
	if f.MaxEventSize < minMaxEventSize {
		errs = append(errs, fmt.Errorf("file.max_event_size: %d is below the minimum of %d bytes", f.MaxEventSize, minMaxEventSize))
	}
	if f.MaxConcurrentFiles < 2 {
		errs = append(errs, errors.New("file.max_concurrent_files: must be at least 2"))
	}
	return errors.Join(errs...)
}

func (w *WebhookConfig) validate() error {
	var errs []error
	if w.NetAddr.Endpoint == "" {
		errs = append(errs, errors.New("webhook.endpoint: must be set"))
	}
	if !strings.HasPrefix(w.Path, "/") {
		errs = append(errs, fmt.Errorf("webhook.path: %q must start with /", w.Path))
	}
	if w.HealthPath != "" && !strings.HasPrefix(w.HealthPath, "/") {
		errs = append(errs, fmt.Errorf("webhook.health_path: %q must start with /", w.HealthPath))
	}
	if w.HealthPath == w.Path {
		errs = append(errs, errors.New("webhook.health_path: must differ from webhook.path"))
	}
	if w.MaxRequestBodySize <= 0 {
		errs = append(errs, errors.New("webhook.max_request_body_size: must be positive"))
	}
	return errors.Join(errs...)
}
