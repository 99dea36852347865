// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import (
	"errors"
	"time"
)

// Config is the configuration of the k8s_audit_traces connector.
type Config struct {
	// TTL is how long a request whose first stage was seen waits for its
	// ResponseComplete or Panic stage; then its span is emitted incomplete.
	TTL time.Duration `mapstructure:"ttl"`
	// MaxPending bounds the requests waiting; when full, the oldest is
	// emitted incomplete to make room.
	MaxPending int `mapstructure:"max_pending"`
	// DuplicateWindow is how long an emitted request is remembered, so that
	// re-sent or late stages of it are dropped instead of making a second span.
	DuplicateWindow time.Duration `mapstructure:"duplicate_window"`
	// MaxRemembered bounds the emitted requests remembered; the oldest are
	// forgotten first.
	MaxRemembered int `mapstructure:"max_remembered"`

	_ struct{}
}

// Validate checks the configuration at start-up.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.TTL <= 0 {
		errs = append(errs, errors.New("ttl: must be positive"))
	}
	if cfg.MaxPending <= 0 {
		errs = append(errs, errors.New("max_pending: must be positive"))
	}
	if cfg.DuplicateWindow <= 0 {
		errs = append(errs, errors.New("duplicate_window: must be positive"))
	}
	if cfg.MaxRemembered <= 0 {
		errs = append(errs, errors.New("max_remembered: must be positive"))
	}
	return errors.Join(errs...)
}
