// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditgen"
)

// EventOfRecord gives back, from a record's attributes, every field it
// promises of the event the record was made from.
func TestEventOfRecordReadsBackSetRecord(t *testing.T) {
	inputs, err := filepath.Glob("testdata/mapping/*.json*")
	require.NoError(t, err)
	read := 0
	for _, in := range inputs {
		raw, err := os.ReadFile(in)
		require.NoError(t, err)
		for i, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
			ev, err := ScanText(string(line))
			if err != nil {
				continue // not an event: no record to read back
			}
			// SetRecord moves the slices of a scanned event.
			groups, impersonatedGroups := ev.User.Groups.AsRaw(), ev.ImpersonatedUser.Groups.AsRaw()
			lr := plog.NewLogRecord()
			SetRecord(&ev, lr, testObserved)
			got, ok := EventOfRecord(lr)
			require.Equal(t, ev.Level != "", ok, "%s/%d", in, i)
			if !ok {
				continue
			}
			read++
			// What EventOfRecord leaves out, and the slices, which it
			// shares with the attributes rather than owns.
			want := ev
			want.Body, want.Annotations, want.SourceIPs = emptyMap, emptyMap, emptySlice
			want.RequestURI, want.APIVersion, want.RequestReceived, want.owned = "", "", got.RequestReceived, false
			assert.Equal(t, groups, got.User.Groups.AsRaw(), "%s/%d", in, i)
			assert.Equal(t, impersonatedGroups, got.ImpersonatedUser.Groups.AsRaw(), "%s/%d", in, i)
			want.User.Groups, want.ImpersonatedUser.Groups = got.User.Groups, got.ImpersonatedUser.Groups
			assert.True(t, want.StageTime.Equal(got.StageTime), "%s/%d", in, i)
			want.StageTime = got.StageTime
			assert.Equal(t, want, got, "%s/%d", in, i)
		}
	}
	assert.Greater(t, read, 10)

	// A record made elsewhere, with an audit ID only, is not read.
	lr := plog.NewLogRecord()
	lr.Attributes().PutStr(AttrAuditID, "a1")
	_, ok := EventOfRecord(lr)
	assert.False(t, ok)
}

// attributeCount, which sizes a record's attributes, counts exactly the
// attributes SetRecord puts, on the fixtures and on a generated log read
// both ways.
func TestAttributeCountMatchesSetRecord(t *testing.T) {
	inputs, err := filepath.Glob("testdata/mapping/*.json*")
	require.NoError(t, err)
	var lines [][]byte
	for _, in := range inputs {
		raw, err := os.ReadFile(in)
		require.NoError(t, err)
		lines = append(lines, bytes.Split(bytes.TrimSpace(raw), []byte("\n"))...)
	}
	var log bytes.Buffer
	require.NoError(t, auditgen.WriteLog(&log, 2000, auditgen.Options{Seed: 3}))
	lines = append(lines, bytes.Split(bytes.TrimSpace(log.Bytes()), []byte("\n"))...)
	// Two source IPs (a proxy's), which neither has.
	lines = append(lines, []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete",`+
		`"requestURI":"/version?timeout=32s","verb":"get","sourceIPs":["10.0.0.1","10.0.0.2"],"stageTimestamp":"2026-11-22T13:29:04.340200Z"}`))
	checked := 0
	for i, line := range lines {
		for _, scan := range []bool{false, true} {
			var ev Event
			if scan {
				ev, err = ScanText(string(line))
			} else {
				body := plog.NewLogRecord().Body()
				if ParseJSON(line, body) != nil || body.Type() != pcommon.ValueTypeMap {
					continue
				}
				ev, err = FromMap(body.Map(), "")
			}
			if err != nil {
				continue
			}
			want := attributeCount(&ev)
			lr := plog.NewLogRecord()
			SetRecord(&ev, lr, testObserved)
			require.Equal(t, want, lr.Attributes().Len(), "line %d (scan %v): %v", i, scan, lr.Attributes().AsRaw())
			checked++
		}
	}
	assert.Greater(t, checked, 4000)
}
