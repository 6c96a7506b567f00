//go:build race

package web_test

// longConversation is how many messages the long conversation holds:
// fewer under the race detector, which makes storing 100k take 25 s.
const longConversation = 10_000
