// Node hosting and message dispatch (see node.h).
#include "engine/node.h"

#include <cassert>

namespace mabeam {

Service::Service(Node& node) : node_(node), ctx_(node.ctx()) {}

Node::~Node() {
  // Services are destroyed in reverse order of creation: later ones may use earlier ones.
  while (!services_.empty()) services_.pop_back();
}

void Node::add_route(Route r) {
  [[maybe_unused]] bool inserted = routes_.emplace(r.type.id, std::move(r)).second;
  assert(inserted && "two handlers for one message type id");
}

Status Node::deliver(const std::string& from, const Bytes& message) {
  Reader reader(message);
  MessageHeader h;
  if (!read_header(reader, h)) return Status::corrupt("message header: " + reader.error());
  auto it = routes_.find(h.type);
  if (it == routes_.end()) return Status::invalid("unknown message type " + std::to_string(h.type));
  const Route& route = it->second;
  if (h.version == 0 || h.version > route.type.version)
    return Status::invalid(std::string(route.type.name) + ": unsupported version " + std::to_string(h.version) +
                           " (this build reads up to " + std::to_string(route.type.version) + ")");
  return route.dispatch(from, reader, h.version);
}

std::string Node::type_name(std::uint16_t id) const {
  auto it = routes_.find(id);
  return it == routes_.end() ? "type#" + std::to_string(id) : it->second.type.name;
}

void Node::start() {
  for (auto& s : services_) s->start();
}

void Node::stop() {
  for (auto it = services_.rbegin(); it != services_.rend(); ++it) (*it)->stop();
}

}  // namespace mabeam
