package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // to inspect the store file after each kill
)

// buildBinary compiles tandem into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tandem")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestKilledImportLeavesAllOrNothing starts an import of a large file, kills
// the process with SIGKILL at a random moment, and checks that the store
// holds none or all of the file's rows and passes SQLite's integrity check.
// It repeats with the same store, so a later run also meets whatever an
// earlier kill left behind (a hot WAL, a stale lock).
func TestKilledImportLeavesAllOrNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and imports 150,000 rows several times")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "deals.csv")
	const rows = 150_000
	f, err := os.Create(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,stage,amount,created,features,region")
	for i := range rows {
		fmt.Fprintf(w, "D%06d,%s,%d,2024-%02d-%02d,F%d;F%d,R%d\n", i, []string{"Won", "Lost", "Open"}[i%3], i%5000, 1+i%12, 1+i%28, i%7, i%11, i%5)
	}
	w.Flush()
	f.Close()
	store := filepath.Join(dir, "tandem.db")

	// Time one complete import into a scratch store to aim the kills.
	scratch := filepath.Join(dir, "scratch.db")
	start := time.Now()
	if out, err := exec.Command(bin, "--db", scratch, "import", "deals", csvPath).CombinedOutput(); err != nil {
		t.Fatalf("full import: %v\n%s", err, out)
	}
	full := time.Since(start)
	t.Logf("a full import takes %v", full)

	rng := rand.New(rand.NewPCG(4, 2))
	kills := 0
	for attempt := 0; attempt < 12 && kills < 6; attempt++ {
		delay := time.Duration(rng.Int64N(int64(full)))
		cmd := exec.Command(bin, "--db", store, "import", "deals", csvPath)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		killErr := cmd.Process.Signal(syscall.SIGKILL)
		waitErr := cmd.Wait()
		killed := killErr == nil && waitErr != nil && strings.Contains(waitErr.Error(), "killed")
		if killed {
			kills++
		}
		n := checkStore(t, store)
		if n != 0 && n != rows {
			t.Fatalf("after a kill at %v the store holds %d of %d rows", delay, n, rows)
		}
		t.Logf("kill at %v (killed=%v): %d rows", delay, killed, n)
		if n == rows {
			os.Remove(store)
			os.Remove(store + "-wal")
			os.Remove(store + "-shm")
		}
	}
	if kills < 5 {
		t.Fatalf("only %d imports were killed mid-way; want at least 5", kills)
	}
}

// checkStore runs SQLite's integrity check and counts the deals.
func checkStore(t *testing.T, path string) int {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return 0
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity check: %q, %v", res, err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM deals").Scan(&n); err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return 0 // killed before the first migration committed
		}
		t.Fatal(err)
	}
	return n
}
