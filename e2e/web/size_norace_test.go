//go:build !race

package web_test

// longConversation is how many messages the long conversation holds.
const longConversation = 100_000
