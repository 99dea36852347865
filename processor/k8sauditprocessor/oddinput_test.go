// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// everything is a configuration with every feature on, so that odd input
// meets every code path.
func everything() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Policy = filepath.Join("testdata", "policy", "gce.yaml")
	cfg.Dedup = configoptional.Some(DedupConfig{Window: time.Minute, MaxEntries: 100})
	cfg.Redaction.Pseudonymize = pseudonymizeAll()
	cfg.Redaction.RemovePaths = []string{"requestObject.spec.*.env", "responseObject.metadata.managedFields"}
	cfg.Redaction.MaskPaths = []string{"requestObject.*.*", "annotations.*"}
	cfg.Redaction.DropObjects = []string{"configmaps"}
	return cfg
}

// oddValues replace a field, one at a time: every type the field is not.
func oddValues() []func(pcommon.Value) {
	return []func(pcommon.Value){
		func(v pcommon.Value) { v.SetInt(7) },
		func(v pcommon.Value) { v.SetDouble(1e300) },
		func(v pcommon.Value) { v.SetBool(true) },
		func(v pcommon.Value) { v.SetStr("") },
		func(v pcommon.Value) { v.SetStr("eyJhbGciOiJub25lIn0.e30.") },
		func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{0xff}) },
		func(v pcommon.Value) { v.SetEmptyMap() },
		func(v pcommon.Value) {
			s := v.SetEmptySlice()
			s.AppendEmpty()
			s.AppendEmpty().SetInt(1)
			s.AppendEmpty().SetEmptyMap().PutEmptySlice("x")
		},
		func(v pcommon.Value) { pcommon.NewValueEmpty().CopyTo(v) },
	}
}

// fieldPaths lists every field of a body as key paths, maps and lists included.
func fieldPaths(m pcommon.Map, prefix []string, out *[][]string) {
	m.Range(func(k string, v pcommon.Value) bool {
		path := append(append([]string{}, prefix...), k)
		*out = append(*out, path)
		if v.Type() == pcommon.ValueTypeMap {
			fieldPaths(v.Map(), path, out)
		}
		if v.Type() == pcommon.ValueTypeSlice && v.Slice().Len() > 0 && v.Slice().At(0).Type() == pcommon.ValueTypeMap {
			fieldPaths(v.Slice().At(0).Map(), path, out)
		}
		return true
	})
}

func fieldAt(m pcommon.Map, path []string) (pcommon.Value, bool) {
	v, ok := m.Get(path[0])
	for _, k := range path[1:] {
		if !ok {
			return v, false
		}
		if v.Type() == pcommon.ValueTypeSlice {
			v = v.Slice().At(0)
		}
		v, ok = v.Map().Get(k)
	}
	return v, ok
}

// TestOddFieldsDoNotPanic replaces each field of real events with values of
// every other type; the processor with every feature on must neither panic
// nor fail, on structured and raw bodies.
func TestOddFieldsDoNotPanic(t *testing.T) {
	p := newTestProcessor(t, everything())
	names := []string{
		"ResponseComplete-create-secret", "ResponseComplete-impersonated", "ResponseComplete-tokenreview",
		"ResponseComplete-403-alice", "ResponseComplete-patch-big-annotation", "ResponseStarted-401-badtoken",
	}
	cases := 0
	for _, name := range names {
		tmpl := logsFrom(t, false, example(name))
		var paths [][]string
		fieldPaths(records(tmpl)[0].Body().Map(), nil, &paths)
		for _, path := range paths {
			for _, odd := range oddValues() {
				ld := plog.NewLogs()
				tmpl.CopyTo(ld)
				lr := records(ld)[0]
				// A fresh audit ID each time, or dedup would drop the copies.
				lr.Body().Map().PutStr("auditID", fmt.Sprintf("%s-%d", name, cases))
				v, ok := fieldAt(lr.Body().Map(), path)
				require.True(t, ok)
				odd(v)
				raw := plog.NewLogs()
				ld.CopyTo(raw)
				records(raw)[0].Body().SetStr(string(appendJSON(nil, records(ld)[0].Body())))
				for _, in := range []plog.Logs{ld, raw} {
					require.NotPanics(t, func() { process(t, p, in) }, "%s: %v", name, path)
				}
				cases++
			}
		}
	}
	t.Logf("%d odd events", cases)
}

// TestOddBodiesDoNotPanic: records that claim an audit ID but whose body is
// anything but an event pass through, counted as foreign.
func TestOddBodiesDoNotPanic(t *testing.T) {
	p := newTestProcessor(t, everything())
	bodies := []func(pcommon.Value){
		func(v pcommon.Value) { v.SetStr("") },
		func(v pcommon.Value) { v.SetStr("not json at all") },
		func(v pcommon.Value) { v.SetStr("{") },
		func(v pcommon.Value) { v.SetStr(`{"auditID": 5, "objectRef": [], "user": "x"}`) },
		func(v pcommon.Value) { v.SetStr(`[{"auditID":"a"}]`) },
		func(v pcommon.Value) { v.SetStr("null") },
		func(v pcommon.Value) { v.SetStr(`"eyJhbGciOiJub25lIn0.e30.x"`) },
		func(v pcommon.Value) { v.SetStr("{\"auditID\":\"x\",\"stage\":\"\xff\"}") },
		func(v pcommon.Value) { v.SetInt(3) },
		func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte("{}")) },
		func(v pcommon.Value) { v.SetEmptySlice().AppendEmpty().SetStr("x") },
		func(v pcommon.Value) { v.SetEmptyMap() },
		func(v pcommon.Value) { v.SetEmptyMap().PutStr("auditID", "only-an-id") },
		func(pcommon.Value) {},
	}
	for i, set := range bodies {
		for _, withError := range []bool{false, true} {
			ld := plog.NewLogs()
			lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
			if withError {
				lr.Attributes().PutStr(auditevent.AttrErrorType, auditevent.ErrorTypeMalformed)
			} else {
				lr.Attributes().PutStr(auditevent.AttrAuditID, "odd")
			}
			set(lr.Body())
			require.NotPanics(t, func() {
				_, err := p.processLogs(context.Background(), ld)
				require.NoError(t, err)
			}, "body %d", i)
			require.Equal(t, 1, ld.LogRecordCount(), "body %d passes on", i)
		}
	}
}

// FuzzProcess feeds arbitrary text as a raw body and, when it parses, as a
// structured body; `go test -fuzz FuzzProcess` explores beyond the seeds.
func FuzzProcess(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	require.NoError(f, err)
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(raw)
	}
	f.Add([]byte(`{"auditID":"a","stage":"ResponseComplete","objectRef":{"resource":"secrets"},"requestObject":[{"op":"add","path":"/data","value":1}]}`))
	p := newTestProcessor(f, everything())
	f.Fuzz(func(t *testing.T, raw []byte) {
		ld := plog.NewLogs()
		lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		lr := lrs.AppendEmpty()
		lr.Attributes().PutStr(auditevent.AttrAuditID, "fuzz")
		lr.Body().SetStr(auditevent.RawText(raw))
		bad := lrs.AppendEmpty()
		bad.Attributes().PutStr(auditevent.AttrErrorType, auditevent.ErrorTypeMalformed)
		bad.Body().SetStr(auditevent.RawText(raw))
		structured := lrs.AppendEmpty()
		structured.Attributes().PutStr(auditevent.AttrAuditID, "fuzz")
		_ = auditevent.ParseJSON(raw, structured.Body())
		if _, err := p.processLogs(context.Background(), ld); err != nil {
			require.ErrorContains(t, err, "skip")
		}
	})
}
