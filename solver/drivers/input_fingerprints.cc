#include <solver/drivers/input_fingerprints.h>

#include <base/binary_pack.h>
#include <base/errors.h>
#include <base/file_utils.h>
#include <mesh/image_import.h>
#include <solver/drivers/run_support.h>

#include <filesystem>
#include <map>

namespace solidanode
{
  namespace
  {
    using Source = MicrostructureSpec::Source;

    /// (role, file) of every input, before hashing.
    std::vector<std::pair<std::string, std::string>> input_files(const CaseConfig &config)
    {
      std::vector<std::pair<std::string, std::string>> files;
      // A case given as text (tests: read_case_string) has no file.
      if (std::filesystem::exists(config.file))
        files.emplace_back("case", config.file);
      const MicrostructureSpec &m = config.microstructure;
      if (m.source == Source::vti || m.source == Source::raw)
        files.emplace_back("image", m.file);
      else if (m.source == Source::mhd)
        {
          const auto f = mhd_files(m.file);
          files.emplace_back("image", f[0]);
          if (f.size() > 1)
            files.emplace_back("image data", f[1]);
        }
      else if (m.source == Source::tiff)
        {
          const auto f = tiff_files(m.file);
          for (std::size_t i = 0; i < f.size(); ++i)
            files.emplace_back(f.size() == 1 ? std::string("image") :
                                               "image[" + std::to_string(i) + "]",
                               f[i]);
        }
      for (const auto &[phase, mat] : config.materials)
        if (!mat.homogenized_from.empty())
          files.emplace_back("homogenized_from." + phase, mat.homogenized_from);
      return files;
    }

    std::string role_text(const std::string &role)
    {
      if (role == "case")
        return "the case file";
      if (role.rfind("image", 0) == 0)
        return "the " + role + " file";
      return "the file of '" + role + "'";
    }
  } // namespace

  std::vector<InputFingerprint> input_fingerprints(const CaseConfig &config, MPI_Comm comm)
  {
    BinaryWriter message;
    on_root_or_throw(comm, [&] {
      const auto files = input_files(config);
      message.put<std::uint64_t>(files.size());
      for (const auto &[role, file] : files)
        {
          message.put_string(role);
          message.put_string(file);
          message.put_string(file_fingerprint(file));
        }
    });
    message.bytes = dealii::Utilities::MPI::broadcast(comm, message.bytes, 0);
    BinaryReader                  in(message.bytes);
    std::vector<InputFingerprint> inputs(in.get<std::uint64_t>());
    for (auto &f : inputs)
      {
        f.role        = in.get_string();
        f.file        = in.get_string();
        f.fingerprint = in.get_string();
      }
    return inputs;
  }

  Json fingerprints_json(const std::vector<InputFingerprint> &inputs)
  {
    Json list = Json::array();
    for (const auto &f : inputs)
      {
        Json e           = Json::object();
        e["role"]        = f.role;
        e["file"]        = f.file;
        e["fingerprint"] = f.fingerprint;
        list.push_back(e);
      }
    return list;
  }

  void check_fingerprints(const YAML::Node &saved, const std::vector<InputFingerprint> &now,
                          const std::string &directory)
  {
    if (!saved || !saved.IsSequence())
      return;
    std::map<std::string, const InputFingerprint *> current;
    for (const auto &f : now)
      current[f.role] = &f;
    const std::string where = " since the checkpoint in " + directory;
    for (const auto &e : saved)
      {
        const std::string role = e["role"].as<std::string>();
        const std::string file = e["file"].as<std::string>();
        const auto        it   = current.find(role);
        if (it == current.end())
          throw CollectiveError("cannot restart: " + role_text(role) + " '" + file +
                                "' is no longer an input" + where);
        if (it->second->fingerprint != e["fingerprint"].as<std::string>())
          throw CollectiveError("cannot restart: " + role_text(role) + " '" +
                                it->second->file + "' changed" + where + " (fingerprint " +
                                e["fingerprint"].as<std::string>() + ", now " +
                                it->second->fingerprint + ")");
        current.erase(it);
      }
    if (!current.empty())
      throw CollectiveError("cannot restart: " + role_text(current.begin()->first) + " '" +
                            current.begin()->second->file + "' was not an input" + where);
  }
  namespace
  {
    /// The content of a YAML/JSON node as text that does not depend on
    /// layout: keys in their order, scalars as written.
    void append_canonical(const YAML::Node &node, std::string &out)
    {
      if (node.IsMap())
        {
          out += '{';
          for (const auto &kv : node)
            {
              append_canonical(kv.first, out);
              out += ':';
              append_canonical(kv.second, out);
              out += ',';
            }
          out += '}';
        }
      else if (node.IsSequence())
        {
          out += '[';
          for (const auto &item : node)
            {
              append_canonical(item, out);
              out += ',';
            }
          out += ']';
        }
      else if (node.IsScalar())
        out += std::to_string(node.Scalar().size()) + '"' + node.Scalar();
      else
        out += '~';
    }

    std::string content_seal(const YAML::Node &state)
    {
      std::string text;
      for (const auto &kv : state)
        if (kv.first.Scalar() != "seal")
          {
            append_canonical(kv.first, text);
            text += ':';
            append_canonical(kv.second, text);
            text += ',';
          }
      return bytes_fingerprint(text);
    }
  } // namespace

  void seal_checkpoint(Json &state)
  {
    // The seal is taken over the text as it will be read back.
    state["seal"] = content_seal(YAML::Load(state.dump()));
  }

  void check_checkpoint_seal(const YAML::Node &state, const std::string &file)
  {
    const std::string expected = state.IsMap() && state["seal"] && state["seal"].IsScalar() ?
                                   state["seal"].Scalar() :
                                   std::string();
    if (expected.empty())
      throw CollectiveError("cannot restart: checkpoint '" + file +
                            "' has no seal (it was not written by this version of solidanode, "
                            "or it was edited); start afresh with --overwrite");
    if (content_seal(state) != expected)
      throw CollectiveError("cannot restart: checkpoint '" + file +
                            "' was changed or damaged after it was written (its content does "
                            "not match its seal " +
                            expected + "); restore it, or start afresh with --overwrite");
  }
} // namespace solidanode
