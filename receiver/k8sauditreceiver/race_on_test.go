// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

//go:build race

package k8sauditreceiver

// The race detector allows at most 8128 live goroutines; a connection costs
// about four (client, its read and write loops, the server's).
const concurrentClients = 1000

// raceEnabled: the race detector roughly doubles allocations, so bounds on
// them hold only without it.
const raceEnabled = true
