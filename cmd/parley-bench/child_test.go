package main

import (
	"strings"
	"testing"
	"time"
)

func TestLineWriterSplitsPartialWrites(t *testing.T) {
	ch := make(chan line, 8)
	w := &lineWriter{out: ch}
	for _, p := range []string{"parley dae", "mon ready\napi: 127.0.0.1:1\r\n", "listen: x"} {
		w.Write([]byte(p))
	}
	close(ch)
	var got []string
	for l := range ch {
		if l.at.IsZero() {
			t.Error("line without a time stamp")
		}
		got = append(got, l.text)
	}
	if strings.Join(got, "|") != "parley daemon ready|api: 127.0.0.1:1" {
		t.Errorf("lines = %q", got)
	}
}

func TestLineWriterDropsWhenFull(t *testing.T) {
	ch := make(chan line, 1)
	w := &lineWriter{out: ch}
	done := make(chan struct{})
	go func() {
		w.Write([]byte("a\nb\nc\n"))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Write blocked on a full channel")
	}
	if l := <-ch; l.text != "a" {
		t.Errorf("first line = %q", l.text)
	}
}

func TestTailKeepsTheEnd(t *testing.T) {
	tl := &tail{max: 8}
	tl.Write([]byte("0123456789"))
	tl.Write([]byte("ab"))
	if got := tl.note(); !strings.HasSuffix(got, "456789ab") {
		t.Errorf("note = %q", got)
	}
	if (&tail{max: 8}).note() != "" {
		t.Error("empty tail has a note")
	}
}

func TestChildReadyAndStop(t *testing.T) {
	c, err := startChild("sh", "/bin/sh", []string{"-c", `trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.kill()
	l, err := c.waitLine("ready", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if l.at.Before(c.started) {
		t.Error("ready before start")
	}
	if _, err := c.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestChildExitBeforeLineIsAnError(t *testing.T) {
	c, err := startChild("sh", "/bin/sh", []string{"-c", "echo boom >&2; exit 3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.kill()
	_, err = c.waitLine("ready", 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("err = %v", err)
	}
}
