#include "event_server.h"

#include "http_framing.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace server {
namespace {

using Clock = std::chrono::steady_clock;

// httplib::Server with its (protected) per-request entry point reachable.
class Router : public httplib::Server {
 public:
  // httplib streams a content provider's answer (our static files) only while it believes it is
  // listening, i.e. while svr_sock_ is not INVALID_SOCKET; it never listens here, so say it is.
  // Nothing else reads svr_sock_ unless httplib's own listen()/stop() run, which they never do.
  Router() { svr_sock_ = -2; }
  using httplib::Server::process_request;
};

struct Peer {
  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;
};

// What process_request reads and writes: exactly one request's bytes in, the answer appended to
// a string. Reading past the request gives end-of-stream, so a POST without a length has an
// empty body rather than waiting for the client to close.
class BufferStream final : public httplib::Stream {
 public:
  BufferStream(const std::string& in, std::string& out, const Peer& peer) : in_(in), out_(out), peer_(peer) {}
  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, in_.size() - pos_);
    std::memcpy(ptr, in_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_.remote_ip;
    port = peer_.remote_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_.local_ip;
    port = peer_.local_port;
  }
  socket_t socket() const override { return INVALID_SOCKET; }  // workers never touch sockets

 private:
  const std::string& in_;
  std::string& out_;
  const Peer& peer_;
  size_t pos_ = 0;
};

const char* reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    default: return "Service Unavailable";
  }
}

// The few answers the loop gives itself, before a request reaches httplib.
std::string error_response(int status, const std::string& message, const std::string& extra_headers) {
  const std::string body = "{\"error\":\"" + message + "\"}";  // messages here are fixed ASCII text
  return "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
         "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
}

// httplib decides to close (Connection: close in the request, an early error answer, HTTP/1.0)
// by writing that header; the loop follows what the answer told the client.
bool answer_closes(const std::string& out) {
  const size_t head_end = out.find("\r\n\r\n");
  const size_t at = out.find("\r\nConnection: close\r\n");
  return at != std::string::npos && at < head_end;
}

std::string address_string(const sockaddr_storage& a, int& port) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof buf);
    port = ntohs(v4.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &v6.sin6_addr, buf, sizeof buf);
    port = ntohs(v6.sin6_port);
  }
  return buf;
}

enum class State { Idle, Reading, Processing, Writing };

struct Conn {
  int fd = -1;
  std::uint64_t id = 0;
  Peer peer;
  State state = State::Idle;
  Clock::time_point deadline;
  std::string in;        // received, not yet handed to a worker
  std::string out;       // to send
  size_t sent = 0;       // of `out`
  bool close_after = false;
  bool eof = false;      // the client has shut down its sending side
  bool lingering = false;  // answered and shut down for writing; reading what the client still sends
  bool starved = false;    // paused by the memory budget; the sweep moves it on again
  size_t counted_in = 0, counted_out = 0;  // its share of Loop::buffered_in/out
};

struct Job {
  int fd;
  std::uint64_t id;
  std::string request;
  Peer peer;
  bool close;
};

struct Done {
  int fd;
  std::uint64_t id;
  std::string answer;
  bool close;
};

}  // namespace

struct EventServer::Loop {
  Router router;
  const Options& opt;
  int listen_fd = -1, epoll_fd = -1, wake_fd = -1;
  bool accepting = true;
  std::uint64_t next_id = 1;
  // Bytes held in connection buffers, received and to send (the loop thread's alone). Over
  // opt.max_buffered, no connection reads more, and no request is started while the answers
  // waiting for their readers alone are over it: memory stays near the budget, however many
  // clients send slowly or read slowly, at the price of making everyone wait until deadlines
  // clear them out.
  size_t buffered_in = 0, buffered_out = 0;
  std::atomic<size_t> published_in{0}, published_out{0};  // the same, for stats() on other threads
  std::unordered_map<int, std::unique_ptr<Conn>> conns;  // the loop thread's alone

  std::mutex mutex;  // guards jobs, done, quit
  std::condition_variable work_ready;
  std::deque<Job> jobs;
  std::deque<Done> done;
  bool quit = false;
  std::atomic<bool> stopping{false};

  std::atomic<long> counts[4] = {};  // by State
  std::atomic<unsigned long long> accepted{0}, refused{0}, timed_out{0};

  explicit Loop(const Options& o) : opt(o) {
    epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev);
  }
  ~Loop() {
    for (auto& [fd, c] : conns) ::close(fd);
    if (listen_fd >= 0) ::close(listen_fd);
    ::close(wake_fd);
    ::close(epoll_fd);
  }

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
  }

  void set_state(Conn& c, State s) {
    counts[static_cast<int>(c.state)]--;
    counts[static_cast<int>(s)]++;
    c.state = s;
  }
  // A new state with its own deadline (Idle: the idle timeout; Reading and Writing: the request timeout).
  void enter(Conn& c, State s, double timeout_s) {
    set_state(c, s);
    c.deadline = Clock::now() + seconds(timeout_s);
  }

  void work() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex);
        work_ready.wait(lock, [&] { return quit || !jobs.empty(); });
        if (jobs.empty()) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      Done d{job.fd, job.id, {}, job.close};
      BufferStream stream(job.request, d.answer, job.peer);
      bool closed = false;
      const bool ok = router.process_request(stream, job.close, closed, nullptr);
      d.close = d.close || !ok || closed || answer_closes(d.answer);
      {
        std::lock_guard<std::mutex> lock(mutex);
        done.push_back(std::move(d));
      }
      wake();
    }
  }

  void account(Conn& c) {
    const size_t in = c.in.size(), out = c.out.size() - c.sent;
    buffered_in = buffered_in - c.counted_in + in;
    buffered_out = buffered_out - c.counted_out + out;
    c.counted_in = in;
    c.counted_out = out;
    published_in.store(buffered_in, std::memory_order_relaxed);
    published_out.store(buffered_out, std::memory_order_relaxed);
  }
  bool over_budget() const { return buffered_in + buffered_out > opt.max_buffered; }

  void close_conn(Conn& c) {
    buffered_in -= c.counted_in;
    buffered_out -= c.counted_out;
    published_in.store(buffered_in, std::memory_order_relaxed);
    published_out.store(buffered_out, std::memory_order_relaxed);
    counts[static_cast<int>(c.state)]--;
    ::close(c.fd);
    conns.erase(c.fd);  // destroys c
  }

  void accept_all() {
    for (;;) {
      sockaddr_storage remote{};
      socklen_t len = sizeof remote;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&remote), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) pause_accepting();  // out of descriptors: retry after a sweep
        return;
      }
      if (conns.size() >= static_cast<size_t>(opt.max_connections)) {
        const std::string r = error_response(503, "the server is at its connection limit; try again shortly",
                                             "Retry-After: 1\r\n" + opt.error_headers);
        [[maybe_unused]] auto n = ::send(fd, r.data(), r.size(), MSG_NOSIGNAL);
        ::close(fd);
        refused++;
        continue;
      }
      const int yes = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->id = next_id++;
      c->peer.remote_ip = address_string(remote, c->peer.remote_port);
      sockaddr_storage local{};
      len = sizeof local;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0)
        c->peer.local_ip = address_string(local, c->peer.local_port);
      c->deadline = Clock::now() + seconds(opt.idle_timeout_s);
      counts[static_cast<int>(State::Idle)]++;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.fd = fd;
      ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
      Conn& ref = *c;
      conns.emplace(fd, std::move(c));
      accepted++;
      advance(ref);  // the request may already be there
    }
  }

  void pause_accepting() {
    if (!accepting || listen_fd < 0) return;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
    accepting = false;
  }
  void resume_accepting() {
    if (accepting || listen_fd < 0 || stopping) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
    accepting = true;
  }

  static Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }

  // Sends what is queued; false if the connection broke.
  bool flush(Conn& c) {
    while (c.sent < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.sent += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      }
    }
    c.out.clear();
    c.sent = 0;
    return true;
  }

  // Reads what has arrived, up to what one request may hold; false if the connection broke.
  bool receive(Conn& c) {
    const size_t cap = opt.max_head + opt.max_body + 65536;  // + chunk framing, + a pipelined head
    char buf[16384];
    while (!c.eof && c.in.size() < cap) {
      account(c);
      if (over_budget()) {
        c.starved = true;
        return true;
      }
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        if (c.state == State::Idle) {
          enter(c, State::Reading, opt.request_timeout_s);
        }
        c.in.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        c.eof = true;
      } else if (errno == EINTR) {
        continue;
      } else {
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
    }
    return true;
  }

  // Closing right after an answer, with some of the client's request still unread (a refused
  // oversized body, say), makes the kernel reset the connection, and a reset can throw away the
  // answer before the client has read it. So: stop writing, read and drop what still comes for a
  // moment, then close.
  void linger(Conn& c) {
    if (!c.lingering) {
      c.lingering = true;
      ::shutdown(c.fd, SHUT_WR);
      c.deadline = Clock::now() + std::chrono::seconds(2);
    }
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // more may come; EPOLLIN or the deadline
      return close_conn(c);  // end of stream or an error: done
    }
  }

  // Moves a connection as far as it can go now: send, then read, then hand a whole request to a
  // worker. Called on every event for it and whenever its answer is ready.
  void advance(Conn& c) {
    const int fd = c.fd;
    const std::uint64_t id = c.id;
    c.starved = false;
    step(c);
    auto it = conns.find(fd);  // step may have closed it
    if (it != conns.end() && it->second->id == id) account(*it->second);
  }

  void step(Conn& c) {
    if (c.lingering) return linger(c);
    for (;;) {
      if (!c.out.empty()) {
        if (!flush(c)) return close_conn(c);
        if (!c.out.empty()) return;  // the socket is full; EPOLLOUT brings us back
        if (c.state == State::Writing) {
          enter(c, State::Idle, opt.idle_timeout_s);
        }
      }
      if (c.state == State::Processing) return;  // its answer is not written yet
      if (c.close_after) return linger(c);
      if (!receive(c)) return close_conn(c);
      if (c.in.empty()) {
        if (c.eof || stopping) return close_conn(c);  // nothing asked: nothing owed
        if (c.state != State::Idle) {
          enter(c, State::Idle, opt.idle_timeout_s);
        }
        return;
      }
      if (c.state == State::Idle) {  // a pipelined request, already here
        enter(c, State::Reading, opt.request_timeout_s);
      }
      Framing f = frame_request(c.in, opt.max_head, opt.max_body);
      if (f.kind == Framing::Invalid) {
        c.out = error_response(f.status, f.message, opt.error_headers);
        c.close_after = true;
        set_state(c, State::Writing);
        continue;
      }
      if (f.kind == Framing::NeedMore) {
        if (c.eof) return close_conn(c);  // half a request, then nothing more will come
        if (f.send_continue) {
          c.out = "HTTP/1.1 100 Continue\r\n\r\n";
          continue;
        }
        return;
      }
      if (buffered_out > opt.max_buffered) {  // answers are piling up unread: start no more
        c.starved = true;
        return;
      }
      Job job{c.fd, c.id, c.in.substr(0, f.length), c.peer, stopping.load()};
      c.in.erase(0, f.length);
      c.close_after = f.close_after;
      set_state(c, State::Processing);
      {
        std::lock_guard<std::mutex> lock(mutex);
        jobs.push_back(std::move(job));
      }
      work_ready.notify_one();
      return;
    }
  }

  void deliver() {
    std::deque<Done> ready;
    {
      std::lock_guard<std::mutex> lock(mutex);
      ready.swap(done);
    }
    for (Done& d : ready) {
      auto it = conns.find(d.fd);
      if (it == conns.end() || it->second->id != d.id) continue;
      Conn& c = *it->second;
      c.out = std::move(d.answer);
      c.sent = 0;
      c.close_after = c.close_after || d.close || stopping;
      enter(c, State::Writing, opt.request_timeout_s);
      advance(c);
    }
  }

  // Deadlines: idle keep-alive connections close quietly; a request not received in time gets
  // 408; an answer the client does not read in time is dropped.
  void sweep() {
    const auto now = Clock::now();
    std::vector<Conn*> expired;
    for (auto& [fd, c] : conns)
      if (c->state != State::Processing && c->deadline <= now) expired.push_back(c.get());
    for (Conn* c : expired) {
      if (c->lingering) {
        // done waiting for the rest of a refused request
      } else if (c->state == State::Reading) {
        const std::string r = error_response(
            408, "the request did not arrive within " + std::to_string(static_cast<int>(opt.request_timeout_s)) + " s",
            opt.error_headers);
        [[maybe_unused]] auto n = ::send(c->fd, r.data(), r.size(), MSG_NOSIGNAL);
        timed_out++;
      } else if (c->state == State::Writing) {
        timed_out++;
      }
      close_conn(*c);
    }
    // Connections paused by the memory budget try again (an advance can only close its own
    // connection, so the others' pointers stay good).
    std::vector<Conn*> starved;
    for (auto& [fd, c] : conns)
      if (c->starved) starved.push_back(c.get());
    for (Conn* c : starved) advance(*c);  // each pauses again if there is still no room for it
    resume_accepting();
  }

  void begin_stopping() {
    if (listen_fd >= 0) {
      pause_accepting();
      ::close(listen_fd);  // new connections are refused from here on
      listen_fd = -1;
    }
    std::vector<Conn*> idle;
    for (auto& [fd, c] : conns)
      if (c->state == State::Idle) idle.push_back(c.get());
    for (Conn* c : idle) close_conn(*c);
  }

  void run() {
    std::vector<std::thread> workers;
    for (int i = 0; i < std::max(1, opt.workers); ++i) workers.emplace_back([this] { work(); });
    epoll_event events[128];
    auto next_sweep = Clock::now();
    bool stop_seen = false;
    for (;;) {
      if (stopping && !stop_seen) {
        stop_seen = true;
        begin_stopping();
      }
      if (stop_seen && conns.empty()) break;
      const int n = ::epoll_wait(epoll_fd, events, 128, 100);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd) {
          std::uint64_t v;
          [[maybe_unused]] auto r = ::read(wake_fd, &v, sizeof v);
        } else if (fd == listen_fd) {
          if (!stopping) accept_all();
        } else if (auto it = conns.find(fd); it != conns.end()) {
          advance(*it->second);
        }
      }
      deliver();
      if (Clock::now() >= next_sweep) {
        sweep();
        next_sweep = Clock::now() + std::chrono::milliseconds(100);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      quit = true;
    }
    work_ready.notify_all();
    for (auto& t : workers) t.join();
  }
};

EventServer::EventServer(Options options) : options_(std::move(options)), loop_(std::make_unique<Loop>(options_)) {}
EventServer::~EventServer() = default;

httplib::Server& EventServer::routes() { return loop_->router; }

digits::Result<int> EventServer::bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found)
    return digits::Error{"cannot listen on " + where + ": not an address of this machine"};
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol);
  const int yes = 1;
  bool ok = fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) == 0 &&
            ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0;
  const int err = errno;
  ::freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    return digits::Error{"cannot listen on " + where + ": " + std::strerror(err) +
                         (err == EADDRINUSE ? " (another server is on that port; pick another with --port)" : "")};
  }
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int bound = 0;
  address_string(a, bound);
  Loop& l = *loop_;
  l.listen_fd = fd;
  l.accepting = false;
  l.resume_accepting();
  return bound;
}

void EventServer::run() {
  running_ = true;
  loop_->run();
  running_ = false;
}

void EventServer::stop() {
  loop_->stopping = true;
  loop_->wake();
}

EventServer::Stats EventServer::stats() const {
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
