// Assembly-level attributes for the core library.
[assembly: System.CLSCompliant(false)]
