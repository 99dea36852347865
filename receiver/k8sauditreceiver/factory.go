// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver // import "github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadata"
)

const (
	// defaultEndpoint listens on loopback only; exposing the webhook is a choice.
	defaultEndpoint = "localhost:9880"
	defaultPath     = "/audit"
	defaultHealth   = "/healthz"
	// A 400-event batch of RequestResponse events (pods, deployments: 5-50 KiB
	// each) fits with room to spare.
	defaultMaxRequestBodySize = 64 << 20
	// RequestResponse events with large objects reach several MiB.
	defaultMaxEventSize = 16 << 20
	minMaxEventSize     = 4 << 10
	defaultPoll         = 200 * time.Millisecond
	// fileconsumer reads half this many files per batch and saves its
	// checkpoint once per poll: all of a directory with --audit-log-maxbackup
	// up to 31 in one batch keeps polls short, and so what a crash re-reads.
	defaultMaxFiles = 64
)

// NewFactory creates the k8s_audit receiver factory.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = defaultEndpoint
	server.MaxRequestBodySize = defaultMaxRequestBodySize
	return &Config{
		File: configoptional.Default(FileConfig{
			StartAt:            "end",
			PollInterval:       defaultPoll,
			MaxEventSize:       defaultMaxEventSize,
			MaxConcurrentFiles: defaultMaxFiles,
		}),
		Webhook: configoptional.Default(WebhookConfig{
			ServerConfig: server,
			Path:         defaultPath,
			HealthPath:   defaultHealth,
		}),
		BodyFormat: BodyFormatStructured,
	}
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(set, cfg.(*Config), next)
}
