// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

func TestWriteLogDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	require.NoError(t, WriteLog(&a, 3000, Options{Seed: 7}))
	require.NoError(t, WriteLog(&b, 3000, Options{Seed: 7}))
	require.NoError(t, WriteLog(&c, 3000, Options{Seed: 8}))
	assert.Equal(t, a.Bytes(), b.Bytes())
	assert.NotEqual(t, a.Bytes(), c.Bytes())
}

// TestWriteLogEvents checks that every line is an audit event for both the
// k8s.io/apiserver types and our decoder, and that the mix has what a real
// cluster's log has.
func TestWriteLogEvents(t *testing.T) {
	var buf bytes.Buffer
	const n = 5000
	require.NoError(t, WriteLog(&buf, n, Options{Seed: 1}))
	stages := map[auditv1.Stage]int{}
	levels := map[auditv1.Level]int{}
	codes := map[int32]int{}
	var watches, big int
	byID := map[string][]auditv1.Stage{}
	conv := auditevent.Converter{}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		var ev auditv1.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), "line %d", lines)
		require.Equal(t, "Event", ev.Kind)
		require.Equal(t, "audit.k8s.io/v1", ev.APIVersion)
		lrs := plog.NewLogRecordSlice()
		require.Equal(t, 1, conv.AppendEvent(lrs, sc.Bytes(), "", 0).Events, "line %d: %s", lines, sc.Text())
		stages[ev.Stage]++
		levels[ev.Level]++
		if ev.ResponseStatus != nil {
			codes[ev.ResponseStatus.Code]++
		}
		if ev.Verb == "watch" {
			watches++
		}
		if len(sc.Bytes()) > 4096 {
			big++
		}
		byID[string(ev.AuditID)] = append(byID[string(ev.AuditID)], ev.Stage)
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, n, lines)
	assert.Greater(t, levels[auditv1.LevelMetadata], n*3/4, "mostly Metadata")
	assert.Positive(t, levels[auditv1.LevelRequestResponse])
	assert.Positive(t, levels[auditv1.LevelRequest])
	assert.Positive(t, stages[auditv1.StageResponseStarted])
	assert.Positive(t, watches)
	assert.Positive(t, big, "multi-KB events")
	for _, code := range []int32{200, 201, 401, 403, 404} {
		assert.Positive(t, codes[code], "code %d", code)
	}
	assert.Positive(t, codes[500]+codes[503]+codes[504], "5xx")
	pairs := 0
	for _, st := range byID {
		if len(st) >= 2 && st[0] == auditv1.StageRequestReceived && st[len(st)-1] == auditv1.StageResponseComplete {
			pairs++
		}
	}
	assert.Greater(t, pairs, n/4, "RequestReceived+ResponseComplete pairs with the same auditID")
}

func TestWriteEventLists(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteEventLists(&buf, 1000, 400, Options{Seed: 1}))
	dec := json.NewDecoder(&buf)
	var sizes []int
	conv := auditevent.Converter{}
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		var list auditv1.EventList
		require.NoError(t, json.Unmarshal(raw, &list))
		assert.Equal(t, "EventList", list.Kind)
		assert.Empty(t, list.Items[0].Kind, "items carry no kind, as kube-apiserver sends them")
		sizes = append(sizes, len(list.Items))
		lrs := plog.NewLogRecordSlice()
		counts, err := conv.AppendPayload(lrs, raw, 0)
		require.NoError(t, err)
		assert.Equal(t, len(list.Items), counts.Events)
	}
	assert.Equal(t, []int{400, 400, 200}, sizes)
}

func TestMetadataOnly(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteLog(&buf, 2000, Options{Seed: 1, MetadataOnly: true}))
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var ev auditv1.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev))
		require.Equal(t, auditv1.LevelMetadata, ev.Level)
		require.Nil(t, ev.RequestObject)
		require.Nil(t, ev.ResponseObject)
	}
}

func BenchmarkWriteLog(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteLog(io.Discard, 1000, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/event")
}
