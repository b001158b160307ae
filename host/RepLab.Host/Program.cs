namespace RepLab.Host;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("replab: the CLI is being assembled; available now: ./replab test, ./replab bench");
        return 2;
    }
}
