// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeConfigsValidate runs `otelcol-k8saudit validate` on every
// collector configuration shown in the READMEs, so that they stay true.
func TestReadmeConfigsValidate(t *testing.T) {
	binary := e2eBinary(t)
	readmes := []string{
		filepath.Join(repoRoot, "README.md"),
		filepath.Join(repoRoot, "receiver", "k8sauditreceiver", "README.md"),
		filepath.Join(repoRoot, "processor", "k8sauditprocessor", "README.md"),
		filepath.Join(repoRoot, "connector", "k8saudittracesconnector", "README.md"),
		filepath.Join(repoRoot, "config", "default.yaml"),
	}
	block := regexp.MustCompile("(?s)```yaml\n(.*?)```")
	checked := 0
	for _, path := range readmes {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		var configs []string
		if strings.HasSuffix(path, ".yaml") {
			configs = []string{string(data)}
		}
		for _, m := range block.FindAllStringSubmatch(string(data), -1) {
			// A whole collector configuration has receivers and a service
			// section; the other blocks are fragments.
			if topLevel(m[1], "receivers") && topLevel(m[1], "service") {
				configs = append(configs, m[1])
			}
		}
		for i, cfg := range configs {
			file := filepath.Join(t.TempDir(), "config.yaml")
			require.NoError(t, os.WriteFile(file, []byte(cfg), 0o600))
			out, err := exec.Command(binary, "validate", "--config", file).CombinedOutput()
			assert.NoError(t, err, "%s, configuration %d:\n%s\n%s", path, i+1, cfg, out)
			checked++
		}
	}
	t.Logf("%d configurations validated", checked)
	assert.GreaterOrEqual(t, checked, 3)
}

func topLevel(yaml, key string) bool {
	return strings.HasPrefix(yaml, key+":") || strings.Contains(yaml, "\n"+key+":")
}
