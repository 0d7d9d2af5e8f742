#include "conf/tree.hpp"

#include <array>

namespace conf {

bool is_top_level_block_keyword(std::string_view keyword) noexcept {
  static constexpr std::array<std::string_view, 15> k_top{
      "global_defs",      "vrrp_instance",     "vrrp_sync_group", "vrrp_script",
      "virtual_server",   "virtual_server_group", "static_ipaddress", "static_routes",
      "static_rules",     "vrrp_track_process", "bfd_instance",    "garp_group",
      "linkbeat_interfaces", "interface_up_down_delays", "track_group"};
  for (auto k : k_top)
    if (k == keyword) return true;
  return false;
}

std::vector<Statement>& TreeBuilder::container() { return stack_.empty() ? top_ : stack_.back().stmt.children; }

void TreeBuilder::complete_pending() {
  if (!pending_) return;
  if (discard_depth_ == 0) container().push_back(std::move(*pending_));
  pending_.reset();
}

void TreeBuilder::open_block(const Token& brace) {
  if (discard_depth_ > 0) {
    ++discard_depth_;
    pending_.reset();
    return;
  }
  Statement owner;
  bool stray = false;
  if (pending_) {
    owner = std::move(*pending_);
    pending_.reset();
  } else if (last_completed_can_take_block_ && !container().empty()) {
    owner = std::move(container().back());  // `{` on the line after its keyword
    container().pop_back();
  } else {
    diag_.error(files_.loc(brace), "'{' without a keyword before it");
    stray = true;
  }
  if (!stray && is_top_level_block_keyword(owner.keyword.text) && !stack_.empty()) {
    // Resync: a top-level block inside another block means a '}' is missing above it.
    const auto& outer = stack_.front().stmt;
    diag_.error(files_.loc(outer.open_brace), "block '" + outer.keyword.text +
                                                  "' is not closed before '" + owner.keyword.text + "' at line " +
                                                  std::to_string(owner.keyword.line) + " (missing '}')");
    while (!stack_.empty()) {
      Open done = std::move(stack_.back());
      stack_.pop_back();
      if (!done.discard) container().push_back(std::move(done.stmt));
    }
  }
  if (stray || stack_.size() >= max_depth_) {
    if (!stray)
      diag_.error(files_.loc(brace), "blocks nested deeper than " + std::to_string(max_depth_) + " levels");
    discard_depth_ = 1;
    return;
  }
  owner.has_block = true;
  owner.open_brace = brace;
  stack_.push_back(Open{std::move(owner), false});
}

void TreeBuilder::close_block(const Token& brace) {
  complete_pending();
  if (discard_depth_ > 0) {
    --discard_depth_;
    return;
  }
  if (stack_.empty()) {
    diag_.error(files_.loc(brace), "'}' without a matching '{'");
    return;
  }
  Open done = std::move(stack_.back());
  stack_.pop_back();
  if (stack_.empty() && sink_ && sink_(done.stmt)) return;
  container().push_back(std::move(done.stmt));
}

void TreeBuilder::add_line(LexedLine&& line) {
  bool first = true;
  for (auto& tok : line.tokens) {
    if (tok.is_open()) {
      if (!first || pending_) last_completed_can_take_block_ = false;
      open_block(tok);
    } else if (tok.is_close()) {
      close_block(tok);
    } else if (pending_) {
      pending_->args.push_back(std::move(tok));
    } else {
      pending_.emplace();
      pending_->keyword = std::move(tok);
    }
    first = false;
  }
  const bool ended_with_statement = pending_.has_value();
  complete_pending();
  last_completed_can_take_block_ = ended_with_statement && discard_depth_ == 0;
}

std::vector<Statement> TreeBuilder::finish() {
  complete_pending();
  if (!stack_.empty()) {
    const auto& outer = stack_.front().stmt;
    diag_.error(files_.loc(outer.open_brace),
                "block '" + outer.keyword.text + "' opened here is not closed at the end of the file");
  }
  while (!stack_.empty()) {
    Open done = std::move(stack_.back());
    stack_.pop_back();
    container().push_back(std::move(done.stmt));
  }
  return std::move(top_);
}

}  // namespace conf
