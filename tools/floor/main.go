// grpc-floor: grpc-go answering every call with the same 21 KB of bytes, serialized already.
//
// tools/stat_phases.py --floor calls it beside a grpcio server doing the same, from the same
// Python client, to tell the cost of Python's gRPC server from that of gRPC itself on this
// machine. Usage: grpc-floor PORT (listens on 127.0.0.1).
package main

import (
	"bytes"
	"log"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
)

// answer is about the per-day stat's answer (300 rows), as stat_phases.FLOOR_ANSWER.
var answer = bytes.Repeat([]byte("x"), 21_000)

// rawCodec passes bytes through unparsed, as the grpcio floor server does. It takes the name
// "proto", so it serves calls of the default content type.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }

func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

func answerAll(_ any, stream grpc.ServerStream) error {
	var request []byte
	if err := stream.RecvMsg(&request); err != nil {
		return err
	}
	return stream.SendMsg(&answer)
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: grpc-floor PORT")
	}
	encoding.RegisterCodec(rawCodec{})
	listener, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	server := grpc.NewServer(grpc.UnknownServiceHandler(answerAll))
	log.Fatal(server.Serve(listener))
}
