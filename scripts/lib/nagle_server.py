"""A keep-alive HTTP/1.1 server that answers after a fixed delay in TWO writes (headers, then
body) with Nagle's algorithm on, as Python's http.server does by default. A client that
reuses few connections hits the 40 ms delayed-ACK stall on them; one that spreads its
requests over every connection mostly does not. It counts the connections that carried at
least one request and prints them at exit (SIGTERM), for scripts/bench-vu-order.sh.

    python3 scripts/lib/nagle_server.py PORT DELAY_MS
"""
import http.server
import signal
import sys
import threading
import time

PORT = int(sys.argv[1])
DELAY = float(sys.argv[2]) / 1000.0
BODY = b"ok"
seen = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        with lock:
            seen.add(self.client_address)
        time.sleep(DELAY)
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()  # first write: status line and headers
        self.wfile.write(BODY)  # second write: the body, held back by Nagle

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True


def stop(*_):
    print(f"connections_used={len(seen)}", flush=True)
    threading.Thread(target=server.shutdown).start()


signal.signal(signal.SIGTERM, stop)
print(f"listening on {PORT}", flush=True)
server.serve_forever()
