"""An HTTP receiver that reads each POST's body and answers 204: what a shipper's own rate is measured against, so
the receiver costs next to nothing. Listens on 127.0.0.1:PORT until killed; prints requests and bytes at exit."""
import http.server
import signal
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests = 0
    received = 0

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        Handler.requests += 1
        Handler.received += length
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)

    def stop(*_):
        print(f"null receiver: {Handler.requests} requests, {Handler.received} bytes", file=sys.stderr)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


main()
