// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// output collects the spans one call emits, one ResourceSpans per input
// resource, in the order the spans were emitted.
type output struct {
	scope  pcommon.InstrumentationScope
	traces ptrace.Traces
	spans  map[*resourceRef]ptrace.SpanSlice
	// keys are the requests emitted, to forget them if the traces are refused.
	keys []reqKey
	// incomplete counts the spans emitted incomplete, by reason.
	incomplete map[string]int64
}

func newOutput(scope pcommon.InstrumentationScope) *output {
	return &output{scope: scope, traces: ptrace.NewTraces()}
}

func (o *output) len() int { return len(o.keys) }

// add appends the span of r under its resource.
func (o *output) add(r *request, reason string) {
	if o.spans == nil {
		o.spans = make(map[*resourceRef]ptrace.SpanSlice)
	}
	ss, ok := o.spans[r.res]
	if !ok {
		rs := o.traces.ResourceSpans().AppendEmpty()
		r.res.resource.CopyTo(rs.Resource())
		rs.SetSchemaUrl(r.res.schemaURL)
		scope := rs.ScopeSpans().AppendEmpty()
		o.scope.CopyTo(scope.Scope())
		ss = scope.Spans()
		o.spans[r.res] = ss
	}
	setSpan(ss.AppendEmpty(), r, reason)
	o.keys = append(o.keys, r.key)
	if reason != "" {
		if o.incomplete == nil {
			o.incomplete = make(map[string]int64, 3)
		}
		o.incomplete[reason]++
	}
}

// serviceName is the service of a span's resource when the logs' resource
// has none: the spans are kube-apiserver's server spans, and tracing
// backends and spanmetrics group by service.name.
const (
	attrServiceName = "service.name"
	serviceName     = "kube-apiserver"
)

// resourceOf copies an input resource once, when a request first needs it.
type resourceOf struct {
	rl  plog.ResourceLogs
	ref *resourceRef
}

func (r *resourceOf) get() *resourceRef {
	if r.ref == nil {
		res := pcommon.NewResource()
		r.rl.Resource().CopyTo(res)
		if _, ok := res.Attributes().Get(attrServiceName); !ok {
			res.Attributes().PutStr(attrServiceName, serviceName)
		}
		r.ref = &resourceRef{resource: res, schemaURL: r.rl.SchemaUrl()}
	}
	return r.ref
}
