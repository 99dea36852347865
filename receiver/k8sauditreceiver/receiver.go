// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver // import "github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver"

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadata"
)

// dataFormat names what this receiver decodes in its obsreport metrics.
const dataFormat = "k8s_audit"

// badInputLogEvery bounds how often bad input is logged, so that a flood of
// garbage cannot flood the collector's own logs; the counters count it all.
const badInputLogEvery = 10 * time.Second

type auditReceiver struct {
	set       receiver.Settings
	cfg       *Config
	next      consumer.Logs
	telemetry *metadata.TelemetryBuilder
	converter auditevent.Converter
	// sampledLogger logs each distinct message at most once per badInputLogEvery.
	sampledLogger *zap.Logger

	file    *fileSource
	webhook *webhookSource
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*auditReceiver, error) {
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	r := &auditReceiver{
		set:       set,
		cfg:       cfg,
		next:      next,
		telemetry: telemetry,
		converter: auditevent.Converter{RawBody: cfg.BodyFormat == BodyFormatRaw},
		sampledLogger: set.Logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
			return zapcore.NewSamplerWithOptions(c, badInputLogEvery, 1, 0)
		})),
	}
	if fc := cfg.File.Get(); fc != nil {
		if r.file, err = newFileSource(r, fc); err != nil {
			return nil, err
		}
	}
	if wc := cfg.Webhook.Get(); wc != nil {
		if r.webhook, err = newWebhookSource(r, wc); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *auditReceiver) Start(ctx context.Context, host component.Host) error {
	if r.webhook != nil {
		if err := r.webhook.start(ctx, host); err != nil {
			return err
		}
	}
	if r.file != nil {
		if err := r.file.start(ctx, host); err != nil {
			return errors.Join(err, r.shutdownWebhook(ctx))
		}
	}
	return nil
}

func (r *auditReceiver) Shutdown(ctx context.Context) error {
	var errs []error
	if r.file != nil {
		errs = append(errs, r.file.shutdown())
	}
	errs = append(errs, r.shutdownWebhook(ctx))
	r.telemetry.Shutdown()
	return errors.Join(errs...)
}

func (r *auditReceiver) shutdownWebhook(ctx context.Context) error {
	if r.webhook == nil {
		return nil
	}
	return r.webhook.shutdown(ctx)
}

// newLogs makes the Logs that records of one batch are appended to.
func (r *auditReceiver) newLogs(capacity int) (plog.Logs, plog.LogRecordSlice) {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	attrs := rl.Resource().Attributes()
	for k, v := range r.cfg.ResourceAttributes {
		attrs.PutStr(k, v)
	}
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	sl.Scope().SetVersion(r.set.BuildInfo.Version)
	lrs := sl.LogRecords()
	lrs.EnsureCapacity(capacity)
	return logs, lrs
}

// recordBadInput counts and (rate-limited) logs the bad inputs of one batch.
func (r *auditReceiver) recordBadInput(ctx context.Context, source string, counts auditevent.Counts, lrs plog.LogRecordSlice) {
	if counts.Malformed == 0 && counts.Oversized == 0 {
		return
	}
	if counts.Malformed > 0 {
		r.telemetry.ReceiverK8sAuditMalformedEvents.Add(ctx, int64(counts.Malformed))
	}
	if counts.Oversized > 0 {
		r.telemetry.ReceiverK8sAuditOversizedEvents.Add(ctx, int64(counts.Oversized))
	}
	r.sampledLogger.Warn("Received input that is not a valid audit event; forwarded as records with error attributes",
		zap.String("source", source),
		zap.Int("malformed", counts.Malformed),
		zap.Int("oversized", counts.Oversized),
		zap.String("first_error", firstError(lrs)))
}

func firstError(lrs plog.LogRecordSlice) string {
	for i := 0; i < lrs.Len(); i++ {
		if v, ok := lrs.At(i).Attributes().Get(auditevent.AttrError); ok {
			return v.Str()
		}
	}
	return ""
}

func newObsReport(set receiver.Settings, transport string) (*receiverhelper.ObsReport, error) {
	return receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              transport,
		ReceiverCreateSettings: set,
	})
}
