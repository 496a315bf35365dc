// Interned values and the append step of the register models (model.h).
#include "sim/lincheck/model.h"

namespace mabeam::lincheck {

Values::Values() {
  values_.push_back(nullptr);
  ids_.emplace(canonical(nullptr), kNull);
}

ValueId Values::intern(const nlohmann::json& v) {
  std::string text = canonical(v);
  auto it = ids_.find(text);
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<ValueId>(values_.size());
  values_.push_back(v);
  ids_.emplace(std::move(text), id);
  return id;
}

std::optional<ValueId> Values::append(ValueId state, ValueId piece) {
  const std::uint64_t key = (static_cast<std::uint64_t>(state) << 32) | piece;
  if (auto it = appended_.find(key); it != appended_.end()) return it->second;
  const nlohmann::json& s = values_[state];
  if (!s.is_null() && !s.is_string()) return std::nullopt;
  std::string joined = s.is_null() ? std::string() : s.get<std::string>();
  joined += values_[piece].get<std::string>();
  const ValueId out = intern(joined);
  appended_.emplace(key, out);
  return out;
}

}  // namespace mabeam::lincheck
