// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector/internal/metadata"
)

const (
	// kube-apiserver ends a watch after a random time between
	// --min-request-timeout (default 1800 s) and twice that: an hour and a
	// margin covers every watch with the default flags.
	defaultTTL        = 65 * time.Minute
	defaultMaxPending = 50_000
	// kube-apiserver's webhook backend re-sends a failed batch with a backoff
	// from 10 s; its copies, and stages delayed by concurrent batches, arrive
	// within minutes.
	defaultDuplicateWindow = 5 * time.Minute
	defaultMaxRemembered   = 200_000
)

// NewFactory creates the k8s_audit_traces connector factory.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		metadata.Type,
		createDefaultConfig,
		connector.WithLogsToTraces(createLogsToTraces, metadata.LogsToTracesStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		TTL:             defaultTTL,
		MaxPending:      defaultMaxPending,
		DuplicateWindow: defaultDuplicateWindow,
		MaxRemembered:   defaultMaxRemembered,
	}
}

func createLogsToTraces(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Traces) (connector.Logs, error) {
	c, err := newConnector(set, cfg.(*Config), next, time.Now)
	if err != nil {
		return nil, fmt.Errorf("k8s_audit_traces connector: %w", err)
	}
	return c, nil
}
