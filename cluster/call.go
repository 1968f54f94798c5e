package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
)

// Calls run an operation on the node that holds a key, for modules
// whose state lives with a room (a conference's: ending it, locking
// it): the caller's node asks the holder over NATS and waits for its
// answer.

// CallFunc runs an operation here for key.
type CallFunc func(ctx context.Context, key string, args []string) (string, error)

type callRequest struct {
	Op   string   `json:"op"`
	Key  string   `json:"key"`
	Args []string `json:"args"`
}

type callReply struct {
	Out string `json:"out,omitempty"`
	Err string `json:"err,omitempty"`
}

// ErrCall wraps an operation's error on the node that ran it.
var ErrCall = errors.New("cluster: call")

// HandleCall registers fn for op (before Start).
func (r *Router) HandleCall(op string, fn CallFunc) {
	r.callMu.Lock()
	defer r.callMu.Unlock()
	r.calls[op] = fn
}

// Holds reports whether this node holds key, or would take it now.
func (r *Router) Holds(key string) bool { return r.ownerOf(key) == r.cfg.Node }

// Call runs op for key on the node that holds it: here, or on that node
// (within ctx). An error from the operation comes back wrapping ErrCall.
func (r *Router) Call(ctx context.Context, key, op string, args ...string) (string, error) {
	node := r.ownerOf(key)
	if node == r.cfg.Node {
		out, err := r.runCall(ctx, callRequest{Op: op, Key: key, Args: args})
		if err != nil && !errors.Is(err, ErrCall) {
			err = fmt.Errorf("%w: %w", ErrCall, err)
		}
		return out, err
	}
	data, _ := json.Marshal(callRequest{Op: op, Key: key, Args: args})
	msg, err := r.cfg.Conn.RequestWithContext(ctx, "parley."+r.cfg.Name+".call."+node, data)
	if err != nil {
		return "", fmt.Errorf("cluster: %s on node %s: %w", op, node, err)
	}
	var rep callReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return "", fmt.Errorf("%w: bad answer from node %s", ErrBadFrame, node)
	}
	if rep.Err != "" {
		return rep.Out, fmt.Errorf("%w: %s", ErrCall, rep.Err)
	}
	return rep.Out, nil
}

func (r *Router) runCall(ctx context.Context, req callRequest) (string, error) {
	r.callMu.RLock()
	fn := r.calls[req.Op]
	r.callMu.RUnlock()
	if fn == nil {
		return "", fmt.Errorf("%w: unknown operation %q", ErrCall, req.Op)
	}
	return fn(ctx, req.Key, req.Args)
}

// serveCall answers a peer's call, on its own goroutine.
func (r *Router) serveCall(msg *nats.Msg) {
	var req callRequest
	if err := json.Unmarshal(msg.Data, &req); err != nil || msg.Reply == "" {
		r.stats.badFrames.Add(1)
		return
	}
	go func() {
		out, err := r.runCall(r.ctx, req)
		rep := callReply{Out: out}
		if err != nil {
			rep.Err = err.Error()
		}
		data, _ := json.Marshal(rep)
		if err := msg.Respond(data); err != nil {
			r.log.Warn("answer a call", "op", req.Op, "err", err)
		}
	}()
}
