// Boost.Beast and Boost.Asio live in this file alone: they cost 15-30 s of compiler time per
// translation unit, and nothing else needs to know them (see http.h for what the routes see).
#include "http_server.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cerrno>
#include <chrono>
#include <unordered_map>
#include <vector>

#include "responses.h"

namespace server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

enum class State { Idle, Reading, Processing, Writing };  // lingering counts as Idle

// What a paused connection does once the memory budget has room again.
enum class Resume { Nothing, ReadHead, ReadBody, Process };

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

std::string str(beast::string_view s) { return std::string(s.data(), s.size()); }

Response json_error(int status, const std::string& message) {
  Response r;
  send_error(r, status, message);
  return r;
}

// What a failed read is answered (0: nothing, close quietly).
std::pair<int, std::string> refusal(const error_code& ec, std::size_t max_head, std::size_t max_body) {
  if (ec == http::error::header_limit)
    return {431, "the request's headers are larger than the limit of " + std::to_string(max_head) + " bytes"};
  if (ec == http::error::body_limit)
    return {413, "request body is larger than the limit of " + std::to_string(max_body) + " bytes"};
  // A connection closed between requests or mid-request: nothing can be answered.
  const auto& http_errors = http::make_error_code(http::error::end_of_stream).category();
  if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec.category() != http_errors)
    return {0, ""};
  return {400, "the request is not valid HTTP (" + ec.message() + ")"};
}

// The Request the routes see for a parsed head; nullopt when its target is not a URL path.
std::optional<Request> to_request(const http::request_header<>& h, const std::string& ip) {
  // The url_view points into the header's own buffer, which outlives this function's use of it.
  auto target = boost::urls::parse_origin_form(h.target());
  if (!target) return std::nullopt;
  Request r;
  r.method = str(h.method_string());
  r.path = target->path();
  for (auto p : target->params()) r.params.emplace_back(p.key, p.value);
  for (const auto& f : h) r.headers.emplace_back(str(f.name_string()), str(f.value()));
  r.remote_addr = ip;
  r.received = Clock::now();
  return r;
}

// Statuses whose answers have no body (and so no Content-Length).
bool bodiless(int status) { return status < 200 || status == 204 || status == 304; }

}  // namespace

struct Session;  // one connection

struct HttpServer::Loop {
  Options opt;
  Routes routes;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer sweeper{io};
  std::optional<asio::thread_pool> workers;  // started by run()
  std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions;
  std::unordered_map<std::string, int> per_ip;  // open connections by remote address
  std::uint64_t next_id = 1;
  bool stopping = false;       // the loop's view of stop_requested
  bool accept_paused = false;  // out of file descriptors: the sweep tries again
  // Bytes held in connection buffers, received and to send (the loop thread's alone). Over
  // opt.max_buffered, no connection reads more, and no request is started while the answers
  // waiting for their readers alone are over it: memory stays near the budget however many
  // clients send or read slowly, at the price of making everyone wait until deadlines clear
  // them out.
  std::size_t buffered_in = 0, buffered_out = 0;
  std::atomic<std::size_t> published_in{0}, published_out{0};  // the same, for stats()
  std::atomic<long> counts[4] = {};                            // by State
  std::atomic<unsigned long long> accepted{0}, refused{0}, timed_out{0};
  std::atomic<bool> stop_requested{false};

  Loop(Options o, Routes r) : opt(std::move(o)), routes(std::move(r)) {}

  bool over_budget() const { return buffered_in + buffered_out > opt.max_buffered; }
  void publish() {
    published_in.store(buffered_in, std::memory_order_relaxed);
    published_out.store(buffered_out, std::memory_order_relaxed);
  }

  void accept();
  void refuse(tcp::socket& socket, const std::string& message);
  void sweep();
  void begin_stopping();
  void finish_if_done() {
    if (stopping && sessions.empty()) sweeper.cancel();  // nothing left to do: io.run() returns
  }
};

struct Session : std::enable_shared_from_this<Session> {
  using Loop = HttpServer::Loop;
  Loop& loop;
  const std::uint64_t id;
  tcp::socket socket;
  const std::string ip;
  beast::flat_buffer buffer;
  std::optional<http::request_parser<http::empty_body>> head;
  std::optional<http::request_parser<http::string_body>> body;
  Request request;
  unsigned version = 11;     // of the request being answered
  bool head_method = false;  // HEAD: the answer's headers only
  bool keep_alive = true;
  std::optional<http::response<http::span_body<const char>>> answer;
  std::shared_ptr<const std::string> answer_body;  // what answer's span points into
  std::size_t answer_bytes = 0;
  const std::string continue_line = "HTTP/1.1 100 Continue\r\n\r\n";

  State state = State::Idle;
  Clock::time_point deadline;
  bool close_after = false;  // close once the answer is written
  bool lingering = false;
  bool timed_out = false;  // the sweep cancelled a read that missed its deadline
  bool closed = false;
  Resume parked = Resume::Nothing;
  std::size_t counted_in = 0, counted_out = 0;  // this connection's share of loop.buffered_*

  Session(Loop& l, std::uint64_t i, tcp::socket s, std::string addr)
      : loop(l), id(i), socket(std::move(s)), ip(std::move(addr)) {
    loop.counts[static_cast<int>(State::Idle)]++;
  }

  void set_state(State s, double timeout_s) {
    loop.counts[static_cast<int>(state)]--;
    loop.counts[static_cast<int>(s)]++;
    state = s;
    deadline = Clock::now() + seconds(timeout_s);
  }

  void account() {
    const std::size_t in = buffer.size() + (body ? body->get().body().size() : 0);
    const std::size_t out = answer ? answer_bytes : 0;
    loop.buffered_in = loop.buffered_in - counted_in + in;
    loop.buffered_out = loop.buffered_out - counted_out + out;
    counted_in = in;
    counted_out = out;
    loop.publish();
  }

  // Waits for the budget: the sweep calls resume() again.
  void park(Resume what) {
    account();
    parked = what;
  }
  void resume() {
    const Resume what = parked;
    parked = Resume::Nothing;
    switch (what) {
      case Resume::ReadHead:
        return read_head();
      case Resume::ReadBody:
        return read_body();
      case Resume::Process:
        return process();
      case Resume::Nothing:
        return;
    }
  }

  void start() {
    deadline = Clock::now() + seconds(loop.opt.idle_timeout_s);
    next_request();
  }

  // Idle: a pipelined request may already be in the buffer; else wait for the client's first
  // byte, which starts the request's deadline.
  void next_request() {
    if (buffer.size() > 0) return read_head();
    if (loop.stopping) return close();  // nothing asked: nothing owed
    buffer.shrink_to_fit();             // an idle connection keeps no read buffer
    socket.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
      if (self->closed) return;
      if (ec) return self->close();
      self->read_head();
    });
  }

  void read_head() {
    if (loop.over_budget()) return park(Resume::ReadHead);
    if (state == State::Idle) set_state(State::Reading, loop.opt.request_timeout_s);
    head.emplace();
    head->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(loop.opt.max_head, UINT32_MAX)));
    head->body_limit(boost::none);  // the routes judge the length first (a 413 that says why)
    http::async_read_header(socket, buffer, *head, [self = shared_from_this()](error_code ec, std::size_t) {
      if (self->closed) return;
      self->account();
      if (ec) return self->read_failed(ec);
      self->on_head();
    });
  }

  void read_failed(const error_code& ec) {
    if (timed_out) {
      return send_error(408, "the request did not arrive within " +
                                 std::to_string(static_cast<int>(loop.opt.request_timeout_s)) + " s");
    }
    const auto [status, message] = refusal(ec, loop.opt.max_head, loop.opt.max_body);
    if (status == 0) return close();
    send_error(status, message);
  }

  void on_head() {
    const auto& h = head->get();
    version = h.version();
    head_method = h.method() == http::verb::head;
    keep_alive = h.keep_alive();
    auto parsed = to_request(h, ip);
    if (!parsed) return send_error(400, "the request's URL is not valid");
    request = std::move(*parsed);
    if (auto early = loop.routes.before_body(request)) {
      close_after = close_after || request.has_body();  // its body stays unread
      return respond(std::move(*early));
    }
    body.emplace(std::move(*head));
    head.reset();
    body->body_limit(loop.opt.max_body);
    if (beast::iequals(body->get()[http::field::expect], "100-continue") && !body->is_done()) {
      return asio::async_write(socket, asio::buffer(continue_line),
                               [self = shared_from_this()](error_code ec, std::size_t) {
                                 if (self->closed) return;
                                 if (ec) return self->read_failed(ec);
                                 self->read_body();
                               });
    }
    read_body();
  }

  void read_body() {
    if (body->is_done()) return process();
    account();
    if (loop.over_budget()) return park(Resume::ReadBody);
    http::async_read_some(socket, buffer, *body, [self = shared_from_this()](error_code ec, std::size_t) {
      if (self->closed) return;
      self->account();
      if (ec) return self->read_failed(ec);
      self->read_body();
    });
  }

  // The whole request is here: a worker answers it.
  void process() {
    if (loop.buffered_out > loop.opt.max_buffered) return park(Resume::Process);  // answers pile up unread
    keep_alive = body->get().keep_alive();
    request.body = std::move(body->get().body());
    body.reset();
    account();
    set_state(State::Processing, 0);
    asio::post(*loop.workers, [&loop = loop, id = id, req = std::move(request)]() mutable {
      Response res;
      try {
        res = loop.routes.answer(req);
      } catch (...) {
        res = json_error(500, "internal error");  // no details: they may name files or memory
      }
      asio::post(loop.io, [&loop, id, res = std::move(res)]() mutable {
        const auto it = loop.sessions.find(id);
        if (it != loop.sessions.end()) it->second->respond(std::move(res));
      });
    });
  }

  void send_error(int status, const std::string& message) {
    buffer.consume(buffer.size());  // the stream cannot be trusted past this point
    head.reset();
    body.reset();
    account();
    close_after = true;
    if (status == 408) loop.timed_out++;
    respond(json_error(status, message));
  }

  void respond(Response r) {
    close_after = close_after || r.close || !keep_alive || loop.stopping;
    answer.emplace();
    auto& a = *answer;
    a.version(version);
    a.result(static_cast<unsigned>(r.status));
    for (const auto& f : loop.opt.headers) a.set(f.first, f.second);
    for (const auto& f : r.headers) a.set(f.first, f.second);
    answer_body = std::move(r.body);
    if (!bodiless(r.status)) {
      a.content_length(answer_body->size());
      if (!head_method) a.body() = http::span_body<const char>::value_type(answer_body->data(), answer_body->size());
    }
    a.keep_alive(!close_after);
    if (!close_after) a.set("Keep-Alive", "timeout=" + std::to_string(static_cast<int>(loop.opt.idle_timeout_s)));
    answer_bytes = a.body().size() + 512;  // the header: about that, and not worth serialising twice
    set_state(State::Writing, loop.opt.request_timeout_s);
    account();
    http::async_write(socket, a, [self = shared_from_this()](error_code ec, std::size_t) {
      if (self->closed) return;
      self->answer.reset();
      self->answer_body.reset();
      self->account();
      if (ec) return self->close();
      if (self->close_after) return self->linger();
      self->set_state(State::Idle, self->loop.opt.idle_timeout_s);
      self->timed_out = false;
      self->next_request();
    });
  }

  // Closing with unread request bytes makes the kernel reset the connection, and a reset can
  // throw away the answer before the client has read it. So: stop writing, read and drop what
  // still comes for up to 2 s, then close.
  void linger() {
    if (!lingering) {
      lingering = true;
      set_state(State::Idle, 2);
      error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
    }
    buffer.consume(buffer.size());
    account();
    socket.async_read_some(buffer.prepare(16384), [self = shared_from_this()](error_code ec, std::size_t) {
      if (self->closed) return;
      if (ec) return self->close();  // end of stream or an error: done
      self->linger();
    });
  }

  // Deadline passed (the sweep): a request not received in time gets 408 (once the pending read
  // is cancelled, or at once if paused by the budget); anything else closes.
  void expire() {
    if (state == State::Reading && !lingering && !timed_out) {
      timed_out = true;
      if (parked != Resume::Nothing) {
        parked = Resume::Nothing;
        return read_failed(error_code(asio::error::timed_out));
      }
      error_code ignored;
      socket.cancel(ignored);  // the read's handler answers 408
      return;
    }
    if (state == State::Writing) loop.timed_out++;
    close();
  }

  void close() {
    if (closed) return;
    closed = true;
    error_code ignored;
    socket.close(ignored);
    head.reset();
    body.reset();
    answer.reset();
    answer_body.reset();
    buffer.clear();
    buffer.shrink_to_fit();
    account();
    loop.counts[static_cast<int>(state)]--;
    if (--loop.per_ip[ip] <= 0) loop.per_ip.erase(ip);
    auto keep = shared_from_this();  // the map held the last reference, maybe
    loop.sessions.erase(id);
    loop.finish_if_done();
  }
};

void HttpServer::Loop::refuse(tcp::socket& socket, const std::string& message) {
  const Response answer = json_error(503, message);
  http::response<http::string_body> r{http::status::service_unavailable, 11};
  for (const auto& f : opt.headers) r.set(f.first, f.second);
  for (const auto& f : answer.headers) r.set(f.first, f.second);
  r.set(http::field::retry_after, "1");
  r.body() = *answer.body;
  r.keep_alive(false);
  r.prepare_payload();
  error_code ignored;  // a few hundred bytes into an empty socket buffer: this write does not block
  http::write(socket, r, ignored);
  socket.close(ignored);
  refused++;
}

void HttpServer::Loop::accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopping) return;
    if (ec) {
      if (ec == asio::error::no_descriptors) {  // out of file descriptors: try again after a sweep
        accept_paused = true;
        return;
      }
      return accept();  // that client gave up before we took it
    }
    error_code peer_ec;
    const std::string ip = socket.remote_endpoint(peer_ec).address().to_string();
    if (sessions.size() >= static_cast<std::size_t>(opt.max_connections)) {
      refuse(socket, "the server is at its connection limit; try again shortly");
    } else if (per_ip.count(ip) && per_ip[ip] >= opt.max_connections_per_ip) {
      refuse(socket, "too many connections from your address (the limit is " +
                         std::to_string(opt.max_connections_per_ip) + "); close some and try again");
    } else {
      socket.set_option(tcp::no_delay(true), peer_ec);
      const std::uint64_t id = next_id++;
      auto s = std::make_shared<Session>(*this, id, std::move(socket), ip);
      sessions.emplace(id, s);
      per_ip[ip]++;
      accepted++;
      s->start();
    }
    accept();
  });
}

// Every 100 ms: deadlines, connections paused by the memory budget, a paused acceptor.
void HttpServer::Loop::sweep() {
  const auto now = Clock::now();
  std::vector<std::shared_ptr<Session>> expired, parked;
  for (auto& [id, s] : sessions) {
    if (s->state != State::Processing && s->deadline <= now)
      expired.push_back(s);
    else if (s->parked != Resume::Nothing)
      parked.push_back(s);
  }
  for (auto& s : expired) s->expire();
  for (auto& s : parked)
    if (!s->closed) s->resume();  // each pauses again if there is still no room for it
  if (accept_paused && !stopping) {
    accept_paused = false;
    accept();
  }
  if (stopping && sessions.empty()) return;
  sweeper.expires_after(std::chrono::milliseconds(100));
  sweeper.async_wait([this](error_code ec) {
    if (!ec || !stopping) sweep();
  });
}

void HttpServer::Loop::begin_stopping() {
  if (stopping) return;
  stopping = true;
  error_code ignored;
  acceptor.close(ignored);  // new connections are refused from here on
  std::vector<std::shared_ptr<Session>> idle;
  for (auto& [id, s] : sessions)
    if (s->state == State::Idle && !s->lingering && s->buffer.size() == 0) idle.push_back(s);
  for (auto& s : idle) s->close();
  finish_if_done();
}

HeadParse parse_head(std::string_view bytes, std::size_t max_head) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_head, UINT32_MAX)));
  parser.body_limit(boost::none);
  HeadParse out;
  error_code ec;
  std::size_t used = 0;
  while (!ec && !parser.is_header_done() && used < bytes.size())
    used += parser.put(asio::buffer(bytes.data() + used, bytes.size() - used), ec);
  if (!ec && !parser.is_header_done()) ec = http::error::need_more;
  if (ec == http::error::need_more) return out;
  if (ec) {
    std::tie(out.status, out.message) = refusal(ec, max_head, 0);
    return out;
  }
  out.request = to_request(parser.get(), "fuzz");
  if (!out.request) {
    out.status = 400;
    out.message = "the request's URL is not valid";
  }
  return out;
}

HttpServer::HttpServer(Options options, Routes routes)
    : loop_(std::make_unique<Loop>(std::move(options), std::move(routes))) {}
HttpServer::~HttpServer() = default;

digits::Result<int> HttpServer::bind(const std::string& host, int port) {
  Loop& l = *loop_;
  const std::string where = host + ":" + std::to_string(port);
  error_code ec;
  tcp::resolver resolver(l.io);
  const auto found =
      resolver.resolve(host, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || found.empty()) return digits::Error{"cannot listen on " + where + ": not an address of this machine"};
  const tcp::endpoint endpoint = found.begin()->endpoint();
  l.acceptor.open(endpoint.protocol(), ec);
  if (!ec) l.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) l.acceptor.bind(endpoint, ec);
  if (!ec) l.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    l.acceptor.close(ignored);
    return digits::Error{
        "cannot listen on " + where + ": " + ec.message() +
        (ec == asio::error::address_in_use ? " (another server is on that port; pick another with --port)" : "")};
  }
  return static_cast<int>(l.acceptor.local_endpoint(ec).port());
}

void HttpServer::run() {
  Loop& l = *loop_;
  l.workers.emplace(static_cast<std::size_t>(std::max(1, l.opt.workers)));
  running_ = true;
  if (l.acceptor.is_open()) l.accept();
  asio::post(l.io, [&l] {
    if (l.stop_requested) l.begin_stopping();
  });
  l.sweep();
  l.io.run();
  l.workers->join();
  running_ = false;
}

void HttpServer::stop() {
  Loop& l = *loop_;
  l.stop_requested = true;
  asio::post(l.io, [&l] { l.begin_stopping(); });
}

HttpServer::Stats HttpServer::stats() const {
  const Loop& l = *loop_;
  Stats s;
  s.idle = l.counts[0];
  s.reading = l.counts[1];
  s.processing = l.counts[2];
  s.writing = l.counts[3];
  s.accepted = l.accepted;
  s.refused = l.refused;
  s.timed_out = l.timed_out;
  s.buffered_in = l.published_in.load(std::memory_order_relaxed);
  s.buffered_out = l.published_out.load(std::memory_order_relaxed);
  return s;
}

}  // namespace server
