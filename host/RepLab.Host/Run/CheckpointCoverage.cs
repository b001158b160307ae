using System.Reflection;
using RepLab.Abstractions;
using RepLab.Torch;
using Module = RepLab.Torch.Module;

namespace RepLab.Host.Run;

/// <summary>
/// The host's refusal of a method that hides state from its checkpoint: every parameter an optimizer
/// updates, and every parameter and buffer of a module the method holds in a field (its own or a base
/// class's, private or an auto-property's, or a list or array of modules), must be a tensor of a module
/// in <see cref="IMethod.Modules"/>, the modules a checkpoint saves. Otherwise a resumed run would start
/// that state from fresh weights without a word. Checked once per build, by tensor identity.
/// </summary>
public static class CheckpointCoverage
{
    /// <summary>What <paramref name="method"/> (built, named <paramref name="name"/> in the experiment) keeps out of its checkpoint, or null.</summary>
    public static string? Problem(IMethod method, string name)
    {
        var saved = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var m in method.Modules.Values)
        {
            saved.UnionWith(m.parameters());
            saved.UnionWith(m.named_buffers().Select(b => b.buffer));
        }
        var who = $"method '{name}' ({method.GetType().Name})";
        // A field names what is missing; an optimizer can also update parameters no field holds (made and dropped in Build).
        foreach (var (field, module) in HeldModules(method))
            if (module.parameters().Concat(module.named_buffers().Select(b => b.buffer)).Any(t => !saved.Contains(t)))
                return $"{who} holds module field '{field}' ({module.GetType().Name}) whose parameters or buffers are not in any checkpointed module: " +
                       "a resume would start it from fresh weights; add it to Modules";
        foreach (var (group, optimizer) in method.Optimizers)
        {
            var missing = optimizer.param_groups.SelectMany(g => g.Params).Count(p => !saved.Contains(p));
            if (missing > 0)
                return $"{who} has optimizer group '{group}' updating {missing} parameter(s) that are in no checkpointed module and in no field of the method: " +
                       "a resume would restore the optimizer's state but not those weights; add their module to Modules";
        }
        return null;
    }

    /// <summary>Every module the method's fields hold, with the field's name (an auto-property's name for its backing field).</summary>
    internal static IEnumerable<(string Field, Module Module)> HeldModules(object method)
    {
        const BindingFlags Fields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        for (var type = method.GetType(); type is not null && type != typeof(object); type = type.BaseType)
            foreach (var f in type.GetFields(Fields))
            {
                var name = f.Name.StartsWith('<') && f.Name.IndexOf('>') is > 1 and var end ? f.Name[1..end] : f.Name;
                switch (f.GetValue(method))
                {
                    case Module m:
                        yield return (name, m);
                        break;
                    case IEnumerable<Module> list:
                        foreach (var (m, i) in list.Select((m, i) => (m, i)).Where(x => x.m is not null)) yield return ($"{name}[{i}]", m);
                        break;
                }
            }
    }
}
