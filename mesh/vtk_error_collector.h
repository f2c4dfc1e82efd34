// Collecting the error messages of VTK objects instead of letting VTK print
// them (private to the voxel image readers and writers).
#pragma once

#include <vtkAlgorithm.h>
#include <vtkCallbackCommand.h>
#include <vtkCommand.h>
#include <vtkExecutive.h>
#include <vtkNew.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace solidanode
{
  namespace detail
  {
    /**
     * Collects the error messages a VTK object emits instead of letting VTK
     * print them to stderr: while an object has an observer for ErrorEvent
     * (WarningEvent), vtkErrorMacro (vtkWarningMacro) hands the text to the
     * observer instead of the output window. Errors end up in our exception
     * messages; warnings are dropped, as every real problem of the files we
     * read is also reported as an error or caught by our own checks.
     */
    class VtkErrorCollector
    {
    public:
      /// Observe @p algorithm and its executive (the pipeline reports
      /// failures of the algorithm once more, from the executive).
      explicit VtkErrorCollector(vtkAlgorithm *algorithm)
      {
        on_error->SetClientData(&errors);
        on_error->SetCallback(&VtkErrorCollector::collect);
        on_warning->SetCallback(&VtkErrorCollector::ignore);
        observe(algorithm);
        observe(algorithm->GetExecutive());
      }

      /// Collect the errors of @p object as well.
      void observe(vtkObject *object)
      {
        object->AddObserver(vtkCommand::ErrorEvent, on_error);
        object->AddObserver(vtkCommand::WarningEvent, on_warning);
      }

      /// The command that collects errors, for objects created later inside
      /// the algorithm (e.g. vtkXMLReader::SetParserErrorObserver()).
      vtkCommand *error_observer() { return on_error; }

      bool empty() const { return errors.empty(); }

      /// The first error, without VTK's "ERROR: In <file>, line <n>" line
      /// and the "<Class> (<address>): " prefix; @p fallback if none.
      std::string first(const std::string &fallback) const
      {
        if (errors.empty())
          return fallback;
        std::string text = errors.front();
        if (text.rfind("ERROR: In ", 0) == 0)
          {
            const auto line_end = text.find('\n');
            text.erase(0, line_end == std::string::npos ? text.size() : line_end + 1);
            const auto prefix_end = text.find("): ");
            if (prefix_end != std::string::npos && text.find(" (0x") < prefix_end)
              text.erase(0, prefix_end + 3);
          }
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
          text.pop_back();
        std::replace(text.begin(), text.end(), '\n', ' ');
        return text.empty() ? fallback : text;
      }

      /// The observed objects may outlive us (they hold a reference to the
      /// callbacks); make sure a late error does not touch our vector.
      ~VtkErrorCollector() { on_error->SetClientData(nullptr); }

      VtkErrorCollector(const VtkErrorCollector &) = delete;
      VtkErrorCollector &operator=(const VtkErrorCollector &) = delete;

    private:
      static void collect(vtkObject *, unsigned long, void *client_data,
                          void *call_data)
      {
        if (client_data == nullptr)
          return;
        auto *errors = static_cast<std::vector<std::string> *>(client_data);
        errors->emplace_back(call_data != nullptr ?
                               static_cast<const char *>(call_data) :
                               "");
      }
      static void ignore(vtkObject *, unsigned long, void *, void *) {}

      std::vector<std::string> errors;
      vtkNew<vtkCallbackCommand> on_error;
      vtkNew<vtkCallbackCommand> on_warning;
    };
  } // namespace detail
} // namespace solidanode
