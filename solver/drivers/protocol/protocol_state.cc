#include <solver/drivers/protocol/protocol_state.h>

namespace solidanode
{
  std::string stack_name(const Stack s)
  {
    return s == Stack::pressure        ? "pressure" :
           s == Stack::fixed_thickness ? "fixed_thickness" :
           s == Stack::clamped         ? "clamped" :
           s == Stack::free            ? "free" :
           s == Stack::punch           ? "punch" :
                                         "displacement";
  }

  void ProtocolState::to_json(Json &state) const
  {
    state["increment"]     = increment;
    state["step"]          = static_cast<unsigned long long>(step);
    state["step_started"]  = step_started;
    state["sub"]           = sub;
    state["steps_in_step"] = steps_in_step;
    state["t_step"]        = t_step;
    state["time"]          = time;
    state["dt"]            = dt;
    state["stack"]         = stack_name(stack);
    state["pressure"]      = pressure;
    state["p_start"]       = p_start;
    state["top"]           = top;
    state["top_start"]     = top_start;
    state["u_target"]      = u_target;
    state["compliance"]    = compliance;
    state["li_passed"]     = li_passed;
    state["plated"]        = plated;
    state["alloy_full"]    = alloy_full;
    state["soc_start"]     = Json::object();
    for (const auto &[k, v] : soc_start)
      state["soc_start"][k] = v;
  }

  void ProtocolState::from_yaml(const YAML::Node &s)
  {
    increment     = s["increment"].as<unsigned int>();
    step          = s["step"].as<std::size_t>();
    step_started  = s["step_started"].as<bool>();
    sub           = s["sub"].as<unsigned int>();
    steps_in_step = s["steps_in_step"].as<unsigned int>();
    t_step        = s["t_step"].as<double>();
    time          = s["time"].as<double>();
    dt            = s["dt"].as<double>();
    const std::string name = s["stack"].as<std::string>();
    stack      = name == "pressure"        ? Stack::pressure :
                 name == "fixed_thickness" ? Stack::fixed_thickness :
                 name == "clamped"         ? Stack::clamped :
                 name == "free"            ? Stack::free :
                 name == "punch"           ? Stack::punch :
                                             Stack::displacement;
    pressure   = s["pressure"].as<double>();
    p_start    = s["p_start"].as<double>();
    top        = s["top"].as<double>();
    top_start  = s["top_start"].as<double>();
    u_target   = s["u_target"].as<double>();
    compliance = s["compliance"].as<double>();
    li_passed  = s["li_passed"].as<double>();
    plated     = s["plated"].as<double>();
    alloy_full = s["alloy_full"].as<bool>();
    soc_start.clear();
    for (const auto &e : s["soc_start"])
      soc_start[e.first.as<std::string>()] = e.second.as<double>();
  }
} // namespace solidanode
