// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor/internal/metadata"
)

type auditProcessor struct {
	enrich    EnrichConfig
	policy    *policyEvaluator // nil without a policy
	redactor  *redactor        // nil when redaction can change nothing
	dedup     *deduplicator    // nil when off
	telemetry *metadata.TelemetryBuilder
	// noRawFastPath parses every raw body, for tests that compare the paths.
	noRawFastPath bool
}

// counts are what one batch did, for the telemetry.
type counts struct {
	foreign, policyDropped, duplicates, redacted int64
}

func newProcessor(set processor.Settings, cfg *Config, now func() time.Time) (*auditProcessor, error) {
	p := &auditProcessor{enrich: cfg.Enrich}
	if cfg.Policy != "" {
		pe, err := newPolicyEvaluator(cfg.Policy)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		p.policy = pe
	}
	if r := newRedactor(&cfg.Redaction); r.enabled() {
		p.redactor = r
	}
	if d := cfg.Dedup.Get(); d != nil {
		p.dedup = newDeduplicator(d, now)
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p.telemetry = tb
	return p, nil
}

func (p *auditProcessor) shutdown(context.Context) error {
	p.telemetry.Shutdown()
	return nil
}

func (p *auditProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	var c counts
	dropped := false
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		if rl.ScopeLogs().Len() == 0 {
			return false
		}
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			lrs := sl.LogRecords()
			if lrs.Len() == 0 {
				return false
			}
			lrs.RemoveIf(func(lr plog.LogRecord) bool {
				return p.processRecord(lr, &c)
			})
			return lrs.Len() == 0
		})
		if rl.ScopeLogs().Len() == 0 {
			dropped = true
			return true
		}
		return false
	})
	p.record(ctx, c)
	if dropped && ld.ResourceLogs().Len() == 0 {
		return ld, processorhelper.ErrSkipProcessingData
	}
	return ld, nil
}

func (p *auditProcessor) record(ctx context.Context, c counts) {
	if c.foreign > 0 {
		p.telemetry.ProcessorK8sAuditForeignRecords.Add(ctx, c.foreign)
	}
	if c.policyDropped > 0 {
		p.telemetry.ProcessorK8sAuditPolicyDroppedRecords.Add(ctx, c.policyDropped)
	}
	if c.duplicates > 0 {
		p.telemetry.ProcessorK8sAuditDuplicateRecords.Add(ctx, c.duplicates)
	}
	if c.redacted > 0 {
		p.telemetry.ProcessorK8sAuditRedactedValues.Add(ctx, c.redacted)
	}
}

// processRecord processes one record and reports whether to drop it.
func (p *auditProcessor) processRecord(lr plog.LogRecord, c *counts) bool {
	attrs := lr.Attributes()
	body := lr.Body()
	id, ok := attrs.Get(auditevent.AttrAuditID)
	if !ok || id.Type() != pcommon.ValueTypeStr || id.Str() == "" {
		c.foreign++
		if p.redactor != nil && body.Type() == pcommon.ValueTypeStr && isBadInput(attrs) {
			c.redacted += int64(p.redactor.redactText(body, attrs))
		}
		return false
	}
	raw := body.Type() == pcommon.ValueTypeStr
	var ev auditevent.Event
	fast := false
	switch {
	case body.Type() == pcommon.ValueTypeMap:
		ev = auditevent.FromPartialMap(body.Map(), "")
	case raw:
		if ev, fast = p.scanRaw(lr); fast {
			break
		}
		// body_format: raw. Work on a parsed copy, written back if changed.
		parsed := pcommon.NewValueEmpty()
		if err := auditevent.ParseJSON([]byte(body.Str()), parsed); err != nil || parsed.Type() != pcommon.ValueTypeMap {
			c.foreign++
			p.redactUnreadable(body, attrs, c)
			return false
		}
		ev = auditevent.FromPartialMap(parsed.Map(), "")
	default:
		c.foreign++
		return false
	}
	if ev.AuditID == "" {
		c.foreign++
		if raw {
			p.redactUnreadable(body, attrs, c)
		}
		return false
	}

	if p.dedup != nil && p.dedup.duplicate(ev.AuditID, ev.Stage) {
		c.duplicates++
		return true
	}
	var res policyResult
	if p.policy != nil {
		if res = p.policy.evaluate(&ev); res.drop {
			c.policyDropped++
			return true
		}
	}
	enrich(&p.enrich, &ev, lr)
	changed := false
	if p.policy != nil {
		changed = applyPolicy(res, &ev, attrs)
	}
	if p.redactor != nil {
		clean := ""
		if fast {
			clean = body.Str()
		}
		n := p.redactor.redact(&ev, attrs, false, clean)
		attrs.PutInt(attrRedactedCount, int64(n))
		c.redacted += int64(n)
		changed = changed || n > 0
	}
	if raw && changed && !fast {
		body.SetStr(string(appendJSONMap(make([]byte, 0, len(body.Str())), ev.Body)))
	}
	return false
}

// redactUnreadable redacts a raw body that claims to be an event (it has a
// k8s.audit.id) but cannot be read as one: it passes on, so it must not
// carry what redaction would have removed.
func (p *auditProcessor) redactUnreadable(body pcommon.Value, attrs pcommon.Map, c *counts) {
	if p.redactor == nil {
		return
	}
	n := p.redactor.redactText(body, attrs)
	attrs.PutInt(attrRedactedCount, int64(n))
	c.redacted += int64(n)
}
