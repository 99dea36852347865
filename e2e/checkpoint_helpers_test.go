// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
)

// savedCheckpoint is what the receiver's fileconsumer had stored in
// file_storage when the collector died: the read position of each file.
type savedCheckpoint []checkpointFile

// checkpointFile is the part of fileconsumer's reader metadata (in its
// protobuf or JSON checkpoint) that says how far a file was read.
type checkpointFile struct {
	Fingerprint struct {
		FirstBytes []byte `json:"first_bytes"`
	}
	// Offset is in the plain text, except for a file that was first seen
	// gzip'd (FileType ".gz"): there it is the compressed size read.
	Offset   int64
	FileType string
}

// readCheckpoint reads the receiver's checkpoint from the file_storage
// directory of a collector that is not running.
func readCheckpoint(t *testing.T, storageDir string) savedCheckpoint {
	t.Helper()
	// The stanza adapter names the client after the component type without
	// underscores (open-telemetry/opentelemetry-collector#14988).
	paths, err := filepath.Glob(filepath.Join(storageDir, "receiver_*"))
	require.NoError(t, err)
	require.Len(t, paths, 1, "one storage file for the receiver in %s", storageDir)
	db, err := bbolt.Open(paths[0], 0o600, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	require.NoError(t, err)
	defer db.Close()
	var encoded []byte
	require.NoError(t, db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket([]byte("default")); b != nil {
			encoded = bytes.Clone(b.Get([]byte("knownFiles")))
		}
		return nil
	}))
	if encoded == nil {
		return nil
	}
	if files, ok := decodeProtoCheckpoint(encoded); ok {
		return files
	}
	// Without the filelog.protobufCheckpointEncoding gate (beta): JSON, the
	// file count first.
	dec := json.NewDecoder(bytes.NewReader(encoded))
	var n int
	require.NoError(t, dec.Decode(&n), "fileconsumer's checkpoint is protobuf or JSON")
	files := make(savedCheckpoint, n)
	for i := range files {
		require.NoError(t, dec.Decode(&files[i]))
	}
	return files
}

// decodeProtoCheckpoint reads fileconsumer's checkpoint.proto: a
// MetadataList whose Metadata has fingerprint (1, with first_bytes 1),
// offset (2) and file_type (8).
func decodeProtoCheckpoint(b []byte) (savedCheckpoint, bool) {
	var files savedCheckpoint
	ok := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) bool {
		if num != 1 || typ != protowire.BytesType {
			return true
		}
		var f checkpointFile
		files = append(files, f)
		last := &files[len(files)-1]
		return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) bool {
			switch {
			case num == 1 && typ == protowire.BytesType:
				return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) bool {
					if num == 1 && typ == protowire.BytesType {
						last.Fingerprint.FirstBytes = v
					}
					return true
				})
			case num == 2 && typ == protowire.VarintType:
				last.Offset = int64(n)
			case num == 8 && typ == protowire.BytesType:
				last.FileType = string(v)
			}
			return true
		})
	})
	return files, ok
}

// eachField calls fn with each field of a protobuf message: its bytes for a
// length-delimited field, its value for a varint; false if b is not one.
func eachField(b []byte, fn func(protowire.Number, protowire.Type, []byte, uint64) bool) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 || !fn(num, typ, v, x) {
			return false
		}
		b = b[n:]
	}
	return true
}

// covered gives the (auditID, stage) keys of the lines that checkpoint
// says were read, from the log files in dir (which must still hold every
// file the checkpoint names, plain or gzip'd since).
func (c savedCheckpoint) covered(t *testing.T, dir string, logs []logFile) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	for _, f := range c {
		var text []byte
		if f.FileType == ".gz" {
			// Read as a .gz file from the start: Offset compressed bytes.
			lf := findLog(logs, f.Fingerprint.FirstBytes, true)
			require.NotNil(t, lf, "the checkpoint names a gzip'd file that is in %s", dir)
			raw, err := os.ReadFile(lf.path)
			require.NoError(t, err)
			text = gunzipPrefix(raw[:min(int(f.Offset), len(raw))])
		} else {
			lf := findLog(logs, f.Fingerprint.FirstBytes, false)
			require.NotNil(t, lf, "the checkpoint names a file that is in %s", dir)
			text = lf.text[:min(int(f.Offset), len(lf.text))]
		}
		for len(text) > 0 {
			line, rest, complete := bytes.Cut(text, []byte{'\n'})
			if !complete {
				break // fileconsumer moves past whole lines only
			}
			if key := lineKey(line); key != "" {
				keys[key] = true
			}
			text = rest
		}
	}
	return keys
}

// logFile is one of the audit log files, as plain text.
type logFile struct {
	path string
	gz   bool
	text []byte
}

func readLogs(t *testing.T, dir string) []logFile {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var logs []logFile
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		lf := logFile{path: path, text: raw}
		if strings.HasSuffix(e.Name(), ".gz") {
			lf.gz, lf.text = true, gunzipPrefix(raw)
		}
		logs = append(logs, lf)
	}
	return logs
}

// findLog finds the file whose plain text starts with fingerprint, as
// fileconsumer matches them ("auto" compression fingerprints a .gz file by
// its decompressed text). A file being gzip'd exists twice; either serves a
// plain checkpoint, a .gz one needs the .gz.
func findLog(logs []logFile, fingerprint []byte, gz bool) *logFile {
	for i := range logs {
		if (!gz || logs[i].gz) && len(fingerprint) > 0 && bytes.HasPrefix(logs[i].text, fingerprint) {
			return &logs[i]
		}
	}
	return nil
}

// gunzipPrefix decompresses as much of a (possibly cut) gzip stream as it
// can.
func gunzipPrefix(raw []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	var out bytes.Buffer
	_, _ = io.Copy(&out, zr) // a cut stream ends in an error after its last whole block
	return out.Bytes()
}

// lineKey is the (auditID, stage) key of one line the log backend wrote.
func lineKey(line []byte) string {
	id, ok := jsonStringField(line, `"auditID":"`)
	if !ok {
		return ""
	}
	stage, _ := jsonStringField(line, `"stage":"`)
	return id + "/" + stage
}

func jsonStringField(line []byte, prefix string) (string, bool) {
	i := bytes.Index(line, []byte(prefix))
	if i < 0 {
		return "", false
	}
	rest := line[i+len(prefix):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return string(rest[:j]), true
}
