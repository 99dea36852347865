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
	"go.opentelemetry.io/collector/pdata/plog"
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
