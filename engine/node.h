// A node: the host of a set of services sharing one Context. The node is also the message
// type registry: a service routes each message type it handles to a typed handler, and the
// node decodes incoming bytes and dispatches them. Undecodable or unknown messages are
// returned as errors to the caller (the transport), which counts and traces them; they never
// reach a service.
//
// Lifetime: the host (sim or real) creates a Node, adds services, calls start(); a crash
// destroys the Node with all its volatile state; a restart builds a fresh one over the same
// Storage. stop() is a graceful shutdown (e.g. leaving the cluster), services in reverse order.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <typeindex>
#include <vector>

#include "engine/context.h"
#include "engine/metrics.h"

namespace mabeam {

class Node;

class Service {
 public:
  explicit Service(Node& node);
  virtual ~Service() = default;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  virtual const char* name() const = 0;
  virtual void start() {}
  virtual void stop() {}

 protected:
  Node& node_;
  Context& ctx_;
};

class Node {
 public:
  explicit Node(Context& ctx) : ctx_(ctx) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();

  Context& ctx() { return ctx_; }
  const std::string& name() const { return ctx_.self(); }
  Metrics& metrics() { return metrics_; }

  template <class S, class... Args>
  S& add(Args&&... args) {
    auto s = std::make_unique<S>(*this, std::forward<Args>(args)...);
    S& ref = *s;
    by_type_[std::type_index(typeid(S))] = s.get();
    services_.push_back(std::move(s));
    return ref;
  }
  // A service (or an interface a service exposes), or null.
  template <class S>
  S* find() const {
    if constexpr (std::is_base_of_v<Service, S>) {
      auto it = by_type_.find(std::type_index(typeid(S)));
      if (it != by_type_.end()) return static_cast<S*>(it->second);
    }
    auto iface = interfaces_.find(std::type_index(typeid(S)));
    return iface == interfaces_.end() ? nullptr : static_cast<S*>(iface->second);
  }
  // Makes `impl` findable as interface I (e.g. MembershipView). The last one exposed wins.
  template <class I>
  void expose(I* impl) {
    interfaces_[std::type_index(typeid(I))] = impl;
  }

  // Registers the handler for message type M. One handler per type id.
  template <class M>
  void route(std::function<void(const std::string& from, M&& msg)> handler) {
    Route r;
    r.type = M::kType;
    r.dispatch = [h = std::move(handler)](const std::string& from, Reader& reader, std::uint8_t version) -> Status {
      M m{};
      if (!M::decode(reader, version, m) || !reader.ok())
        return Status::corrupt(std::string(M::kType.name) + ": " + (reader.ok() ? "bad body" : reader.error()));
      if (!reader.at_end())
        return Status::corrupt(std::string(M::kType.name) + ": " + std::to_string(reader.remaining()) + " trailing bytes");
      h(from, std::move(m));
      return Status::ok();
    };
    add_route(std::move(r));
  }

  // Decodes and dispatches one incoming message. Errors: corrupt (bad bytes), invalid
  // (unknown type or a newer version than this build reads).
  Status deliver(const std::string& from, const Bytes& message);
  // Name of a registered type id, or "type#<id>".
  std::string type_name(std::uint16_t id) const;

  void start();
  void stop();

 private:
  struct Route {
    MessageType type{};
    std::function<Status(const std::string&, Reader&, std::uint8_t)> dispatch;
  };
  void add_route(Route r);

  Context& ctx_;
  Metrics metrics_;
  std::vector<std::unique_ptr<Service>> services_;
  std::map<std::type_index, Service*> by_type_;
  std::map<std::type_index, void*> interfaces_;
  std::map<std::uint16_t, Route> routes_;
};

}  // namespace mabeam
