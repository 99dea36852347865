// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor/internal/metadata"
)

const (
	// kube-apiserver's webhook backend retries a batch about five times,
	// backing off from 10 s: every copy arrives within a few minutes.
	defaultDedupWindow     = 5 * time.Minute
	defaultDedupMaxEntries = 100_000
)

// NewFactory creates the k8s_audit processor factory.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		Enrich: EnrichConfig{
			Latency:       true,
			UserKind:      true,
			Impersonation: true,
			Object:        true,
			LongRunning:   true,
			Outcome:       true,
			TraceContext:  true,
		},
		Redaction: RedactionConfig{
			Secrets: true,
			Tokens:  true,
			Pseudonymize: configoptional.Default(PseudonymizeConfig{
				UserNames:            true,
				Groups:               true,
				SourceIPs:            true,
				KeepSystemIdentities: true,
			}),
		},
		Dedup: configoptional.Default(DedupConfig{
			Window:     defaultDedupWindow,
			MaxEntries: defaultDedupMaxEntries,
		}),
	}
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := newProcessor(set, cfg.(*Config), time.Now)
	if err != nil {
		return nil, fmt.Errorf("k8s_audit processor: %w", err)
	}
	if p.dedup != nil {
		next = dedupCommit{next: next, dedup: p.dedup}
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithShutdown(p.shutdown),
	)
}
